import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';
import { ActivityType } from './activity.entity.js';

registerEnumType(ActivityType, {
  name: 'ActivityType',
  valuesConfig: {
    PURCHASE: { description: 'A purchase in any channel (amount required): earns points and qualifying spend' },
    REFUND: { description: 'A refund of a purchase (`refundOf` names it, amount required): takes back what that part earned' },
    CHECK_IN: { description: 'A daily check-in' },
    REVIEW: { description: 'A product or service review' },
    SHARE: { description: 'A share to a social network' },
    PROFILE_COMPLETED: { description: 'The member completed their profile (earns once)' },
    BIRTHDAY: { description: "The member's birthday" },
  },
});

@InputType('MoneyInput', { description: 'An amount in minor units (fen for CNY) with its ISO 4217 currency' })
export class MoneyInput {
  @Field(() => Int)
  amount!: number;

  @Field(() => String)
  currency!: string;
}

@InputType('ActivityInput', { description: 'Something a member did, as a channel reports it' })
export class ActivityInputType {
  @Field(() => ID)
  memberId!: string;

  @Field(() => ActivityType)
  type!: ActivityType;

  @Field(() => String, { description: 'The reporting channel: app, online-shop, store-pos, mini-program, …' })
  channel!: string;

  @Field(() => String, { description: "The channel's own id of it: the same (channel, externalId) twice is one activity" })
  externalId!: string;

  @Field(() => MoneyInput, { nullable: true, description: 'Purchases and refunds: the amount, in the program currency' })
  amount?: MoneyInput | null;

  @Field(() => String, { nullable: true, description: 'Refunds: the externalId of the purchase (same channel) it reverses, whole or in part' })
  refundOf?: string | null;

  @Field(() => Date, { nullable: true, description: "When it happened (default: now on the member's clock); it decides the month, the day and the points' expiry" })
  occurredAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Purchases: points the member paid part of it with (spent oldest first; its refunds give them back, in proportion, with their original expiry)' })
  pointsUsed?: number | null;
}

@ObjectType('Activity', { description: 'An activity the program recorded, and the points it moved' })
export class ActivityObjectType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  memberId!: string;

  @Field(() => ActivityType)
  type!: ActivityType;

  @Field(() => String)
  channel!: string;

  @Field(() => String)
  externalId!: string;

  @Field(() => Money, { nullable: true })
  amount!: Money | null;

  @Field(() => String, { nullable: true, description: 'Refunds: the externalId of the purchase it reverses' })
  refundOf!: string | null;

  @Field(() => Date)
  occurredAt!: Date;

  @Field(() => Date, { description: "When it reached the program (on the member's clock)" })
  postedAt!: Date;

  @Field(() => Int, { description: 'Points it earned (positive) or took back (negative)' })
  points!: number;

  @Field(() => Int, { description: 'Purchases: points it was paid with; refunds: points they gave back' })
  pointsUsed!: number;

  @Field(() => String, { nullable: true, description: 'Why it earned less than its rule gives (a daily limit, once only)' })
  note!: string | null;

  @Field(() => String, { nullable: true, description: 'The tier the member moved to because of it (only in the answer that recorded it)' })
  tierAfter!: string | null;
}

@ObjectType('Birthday', { description: "The member's birthday (no year): in its month, purchases may earn more" })
export class BirthdayType {
  @Field(() => Int)
  month!: number;

  @Field(() => Int)
  day!: number;
}

@ObjectType('ChannelApiKeyCreated', { description: "A new API key of one of our channels: the key itself is shown this once" })
export class ChannelApiKeyCreatedType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The channel it records activities in' })
  channel!: string;

  @Field(() => String, { description: 'Send as Authorization: Bearer <key>. Only its hash is stored; it cannot be shown again.' })
  key!: string;

  @Field(() => String)
  prefix!: string;
}

@ObjectType('ChannelApiKey', { description: 'An API key of one of our channels' })
export class ChannelApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  channel!: string;

  @Field(() => String)
  prefix!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}
