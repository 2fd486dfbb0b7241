import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('TestClock', { description: 'A clock an admin moves forward (development and tests): its members live at its time' })
export class TestClockType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Date, { description: "The clock's current time" })
  frozenTime!: Date;
}
