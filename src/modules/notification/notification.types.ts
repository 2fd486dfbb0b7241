import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('MemberNotification', { description: 'A message to the member: a renewal reminder, a failed charge, an ending membership' })
export class MemberNotificationType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'What it is about: membership.renewal_reminder, membership.past_due, membership.ended, …' })
  type!: string;

  @Field(() => Date, { description: "When it was sent (on the member's clock)" })
  at!: Date;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  title!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  body!: string;
}
