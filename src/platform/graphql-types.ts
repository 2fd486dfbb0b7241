import { Field, Int, ObjectType } from 'type-graphql';

/** An amount of money in minor units (fen for CNY) and its ISO 4217 currency. */
@ObjectType({ description: 'An amount in minor units (fen for CNY) with its ISO 4217 currency' })
export class Money {
  @Field(() => Int, { description: 'Minor units: 19800 CNY is ¥198.00' })
  amount!: number;

  @Field(() => String)
  currency!: string;
}

/** Where a forward page of a connection ends (every connection shares it). */
@ObjectType('PageInfo', { description: 'Where a forward page ends' })
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; null when the page is empty' })
  endCursor!: string | null;
}

/** Text in each locale the program writes in, both at once: what an editor fills its form from. */
@ObjectType('LocalizedText', { description: 'Text in each locale members read (the output twin of LocalizedTextInput)' })
export class LocalizedTextType {
  @Field(() => String)
  en!: string;

  @Field(() => String)
  zhCN!: string;
}
