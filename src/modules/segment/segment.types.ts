import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SegmentKindValue, SegmentRunTrigger } from './segment.entity.js';

registerEnumType(SegmentKindValue, {
  name: 'SegmentKind',
  valuesConfig: {
    RFM: { description: 'Named RFM segments: every member is in exactly one' },
    LIFECYCLE: { description: 'Lifecycle stages (NEW, ACTIVE, DORMANT, CHURNED): every member is in exactly one' },
    VALUE: { description: 'Value segments (HIGH_VALUE, …): a member may be in none or several' },
  },
});

/** The lifecycle stages (segment codes of kind LIFECYCLE), as a GraphQL enum. */
export const LifecycleStageEnum = { NEW: 'NEW', ACTIVE: 'ACTIVE', DORMANT: 'DORMANT', CHURNED: 'CHURNED' } as const;

registerEnumType(LifecycleStageEnum, {
  name: 'LifecycleStage',
  valuesConfig: {
    NEW: { description: 'Joined fewer than the configured days ago (demo: 30)' },
    ACTIVE: { description: 'Did something (or joined) within the dormancy threshold (demo: 90 days)' },
    DORMANT: { description: 'Nothing for at least the dormancy threshold (demo: 90 days)' },
    CHURNED: { description: 'Nothing for at least the churn threshold (demo: 180 days)' },
  },
});

registerEnumType(SegmentRunTrigger, {
  name: 'SegmentRunTrigger',
  valuesConfig: {
    SCHEDULE: { description: 'The daily computation' },
    ON_DEMAND: { description: "An admin's recomputeSegments" },
  },
});

@ObjectType('Segment', { description: 'A segment the configuration defines, and how many members are in it now' })
export class SegmentType {
  @Field(() => String)
  code!: string;

  @Field(() => SegmentKindValue)
  kind!: SegmentKindValue;

  @Field(() => String, { description: 'In the caller\'s language' })
  name!: string;

  @Field(() => String, { description: 'What being in it means, in the caller\'s language' })
  description!: string;

  @Field(() => Int, { description: 'Members in it as of the last computation' })
  members!: number;

  @Field(() => Date, { nullable: true, description: 'When the last computation ran (on the clock asked about); null before the first' })
  computedAt!: Date | null;
}

@ObjectType('MemberScores', { description: "A member's RFM figures, scores and lifecycle stage as of the last computation of their clock" })
export class MemberScoresType {
  @Field(() => ID)
  memberId!: string;

  @Field(() => Date, { description: 'When they joined (on their clock)' })
  joinedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Their last activity of the kinds that count for the lifecycle' })
  lastActivityAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Their last purchase in the window that refunds did not wholly reverse' })
  lastPurchaseAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'Whole days since that purchase; null: no purchase in the window' })
  recencyDays!: number | null;

  @Field(() => Int, { description: 'Purchases in the window that refunds did not wholly reverse' })
  frequency!: number;

  @Field(() => GraphQLSafeInt, { description: 'Purchases minus their refunds over the window, minor units of `currency` (never gross)' })
  monetary!: number;

  @Field(() => String)
  currency!: string;

  @Field(() => Int, { nullable: true, description: '1-5; null: no purchase in the window' })
  recencyScore!: number | null;

  @Field(() => Int, { nullable: true, description: '1-5; null: no purchase in the window' })
  frequencyScore!: number | null;

  @Field(() => Int, { nullable: true, description: '1-5; null: no purchase in the window' })
  monetaryScore!: number | null;

  @Field(() => String, { description: 'The RFM segment these scores put them in' })
  rfmSegment!: string;

  @Field(() => LifecycleStageEnum)
  stage!: string;

  @Field(() => Date)
  computedAt!: Date;
}

@ObjectType('MemberSegment', { description: 'A segment a member is in now' })
export class MemberSegmentType {
  @Field(() => String)
  code!: string;

  @Field(() => SegmentKindValue)
  kind!: SegmentKindValue;

  @Field(() => String)
  name!: string;

  @Field(() => Date, { description: 'The computation that found them entering it (on their clock)' })
  enteredAt!: Date;

  @Field(() => Date, { description: 'The last computation that found them in it' })
  computedAt!: Date;
}

@ObjectType('MemberSegments', { description: "A member's scores, stage and segments now" })
export class MemberSegmentsType {
  @Field(() => ID)
  memberId!: string;

  @Field(() => MemberScoresType, { nullable: true, description: "Null before their clock's first computation" })
  scores!: MemberScoresType | null;

  @Field(() => [MemberSegmentType])
  segments!: MemberSegmentType[];
}

@ObjectType('SegmentMember', { description: 'A member of a segment, with their scores' })
export class SegmentMemberType {
  @Field(() => ID)
  memberId!: string;

  @Field(() => Date)
  enteredAt!: Date;

  @Field(() => MemberScoresType)
  scores!: MemberScoresType;
}

@ObjectType('SegmentMemberPage', { description: "A page of a segment's members, by member id" })
export class SegmentMemberPageType {
  @Field(() => [SegmentMemberType])
  members!: SegmentMemberType[];

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null when the page is empty' })
  endCursor!: string | null;

  @Field(() => Boolean)
  hasNextPage!: boolean;
}

@ObjectType('SegmentCount', { description: 'Members in one segment' })
export class SegmentCountType {
  @Field(() => String)
  code!: string;

  @Field(() => Int)
  members!: number;
}

@ObjectType('SegmentRecomputation', { description: 'What one computation of segments did' })
export class SegmentRecomputationType {
  @Field(() => ID, { nullable: true, description: 'The test clock whose members it computed; null: members on real time' })
  testClockId!: string | null;

  @Field(() => Date, { description: 'The instant it computed as of' })
  asOf!: Date;

  @Field(() => SegmentRunTrigger)
  trigger!: SegmentRunTrigger;

  @Field(() => Int, { description: 'The configuration version it used' })
  configVersion!: number;

  @Field(() => Int)
  membersScored!: number;

  @Field(() => Int, { description: 'Members entering a segment' })
  entered!: number;

  @Field(() => Int, { description: 'Members leaving a segment' })
  left!: number;

  @Field(() => [SegmentCountType], { description: 'Members per segment afterwards, every segment the configuration defines' })
  counts!: SegmentCountType[];

  @Field(() => Int)
  durationMs!: number;
}

@ObjectType('SegmentDefinitions', { description: 'The segment definitions in force: what a setSegmentConfig change of a catalog draft starts from' })
export class SegmentDefinitionsType {
  @Field(() => Int, { description: 'Its version (a publication adds the next one)' })
  version!: number;

  @Field(() => String, { description: 'The whole configuration as JSON: schedule, rfm, lifecycle, value' })
  configJson!: string;
}
