import { randomUUID } from 'node:crypto';
import { ArrayType, type Opt, type Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, OneToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';

/** Something that happened to a member that the program may tell them about. */
export enum MomentKind {
  JOINED = 'JOINED',
  TIER_UP = 'TIER_UP',
  TIER_DOWN = 'TIER_DOWN',
  POINTS_EARNED = 'POINTS_EARNED',
  POINTS_EXPIRING = 'POINTS_EXPIRING',
  BENEFIT_ACTIVATED = 'BENEFIT_ACTIVATED',
  RENEWAL_DUE = 'RENEWAL_DUE',
  MEMBER_DAY = 'MEMBER_DAY',
}

/** Where a moment's message is. PENDING and DEFERRED are waiting (`deliver_at` set); the others are final. */
export enum MomentStatus {
  /** Waiting to be sent (new, or a send to be tried again). */
  PENDING = 'PENDING',
  /** Held until quiet hours end (`deliver_at`). */
  DEFERRED = 'DEFERRED',
  /** Delivered by the provider (`provider_message_id`). */
  SENT = 'SENT',
  /** Not sent, on purpose (`skip_reason`). */
  SKIPPED = 'SKIPPED',
  /** Given up after too many failed sends (`last_error`). */
  FAILED = 'FAILED',
}

/** Why a moment was not sent. */
export enum MomentSkipReason {
  /** The member opted out of this kind, or of marketing moments. */
  OPTED_OUT = 'OPTED_OUT',
  /** The member had had their share of messages in the last 24 hours (a capped kind). */
  FREQUENCY_CAP = 'FREQUENCY_CAP',
  /** Too old to be worth sending (or its date has passed). */
  STALE = 'STALE',
  /** No template is configured for its kind. */
  NO_TEMPLATE = 'NO_TEMPLATE',
  /** The member's account was erased. */
  MEMBER_ERASED = 'MEMBER_ERASED',
  /** The provider refused: the member has not subscribed to the template (or used the subscription up). */
  NOT_SUBSCRIBED = 'NOT_SUBSCRIBED',
  /** The provider refused: it does not know the recipient. */
  INVALID_RECIPIENT = 'INVALID_RECIPIENT',
  /** The provider refused: it does not know the template. */
  INVALID_TEMPLATE = 'INVALID_TEMPLATE',
  /** The provider refused: the fields, link or locale do not fit the template. */
  INVALID_MESSAGE = 'INVALID_MESSAGE',
}

/**
 * The outbox of members' moments: one row per moment a producer recorded (in its own
 * transaction, once per dedupe key), and the delivery of its message (claimed as due work at
 * `deliver_at`, which is null once the row is final). Written by {@link import('./moments.js').Moments} and the
 * module's delivery alone.
 */
@Entity({ tableName: 'member_moment' })
// Once per member and key (the member's id in it keeps it on the member's shard: docs/citus.md).
@Unique({ properties: ['member', 'dedupeKey'] })
@Index({ name: 'member_moment_due', expression: `create index "member_moment_due" on "member_moment" ("deliver_at") where "deliver_at" is not null and "test_clock_id" is null` })
@Index({
  name: 'member_moment_due_on_clock',
  expression: `create index "member_moment_due_on_clock" on "member_moment" ("test_clock_id", "deliver_at") where "deliver_at" is not null and "test_clock_id" is not null`,
})
// A member's waiting moments in delivery order (one at a time per member: the claim takes only the first due one).
@Index({ name: 'member_moment_waiting', expression: `create index "member_moment_waiting" on "member_moment" ("member_id", "created_at", "id") where "deliver_at" is not null` })
// A member's moment held by a worker (no other goes to them meanwhile).
@Index({ name: 'member_moment_leased', expression: `create index "member_moment_leased" on "member_moment" ("member_id") where "leased_until" is not null` })
// What was sent to a member lately (the frequency cap).
@Index({ name: 'member_moment_sent', expression: `create index "member_moment_sent" on "member_moment" ("member_id", "sent_at") where "status" = 'SENT'` })
@Check({ name: 'member_moment_final_has_no_due', expression: `(deliver_at is null) = (status in ('SENT', 'SKIPPED', 'FAILED'))` })
export class MemberMoment {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  // Part of the primary key, (id, member_id): a member-sharded table's keys include the member (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true, index: true })
  member!: Rel<Member>;

  @Enum({ items: () => MomentKind, nativeEnumName: 'moment_kind' })
  kind!: MomentKind;

  /** When it happened, on the member's clock. */
  @Property({ type: 'datetime' })
  occurredAt!: Date;

  /** The figures it is about (points, tier codes, an expiry date, what the points buy, …). */
  @Property({ type: 'json' })
  data!: Record<string, unknown>;

  /** A producer recording the same moment twice records it once. */
  @Property({ type: 'text' })
  dedupeKey!: string;

  @Enum({ items: () => MomentStatus, nativeEnumName: 'moment_status', default: MomentStatus.PENDING })
  status: Opt<MomentStatus> = MomentStatus.PENDING;

  @Enum({ items: () => MomentSkipReason, nativeEnumName: 'moment_skip_reason', nullable: true })
  skipReason?: MomentSkipReason | null;

  /** Sends tried so far. */
  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  /** When delivery is next due (a lease while a worker holds it); null once final. */
  @Property({ type: 'datetime', nullable: true })
  deliverAt?: Date | null;

  /** Set while a worker holds it: no other message goes to the member meanwhile. */
  @Property({ type: 'datetime', nullable: true })
  leasedUntil?: Date | null;

  /** When it was delivered, on the member's clock. */
  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;

  /** The provider that delivered it, and its id of the message. */
  @Property({ type: 'text', nullable: true })
  provider?: string | null;

  @Property({ type: 'text', nullable: true })
  providerMessageId?: string | null;

  /** The locale and template it was rendered in. */
  @Property({ type: 'text', nullable: true })
  locale?: string | null;

  @Property({ type: 'text', nullable: true })
  template?: string | null;

  /** What the provider said last when it refused or failed. */
  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** The member's test clock (copied: due work is found per clock). */
  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/** How a member wants to hear about their moments. No row: the program's defaults. */
@Entity({ tableName: 'member_messaging_preference' })
@Check({ name: 'member_messaging_preference_quiet_both', expression: `(quiet_start is null) = (quiet_end is null)` })
@Check({ name: 'member_messaging_preference_quiet_in_day', expression: `quiet_start >= 0 and quiet_start < 1440 and quiet_end >= 0 and quiet_end < 1440` })
export class MemberMessagingPreference {
  @OneToOne({ entity: () => Member, primary: true, owner: true, updateRule: 'no action' })
  member!: Rel<Member>;

  /** The locale messages are written in; null: the program's default. */
  @Property({ type: 'text', nullable: true })
  locale?: string | null;

  /** Kinds the member wants no message about. */
  @Property({ type: new ArrayType<string>(), columnType: 'text[]', defaultRaw: `'{}'` })
  optOut: Opt<string[]> = [];

  /** No marketing moments at all (joined, tier up, points earned, member days). */
  @Property({ type: 'boolean', default: false })
  marketingOptOut: Opt<boolean> = false;

  /** The member's own quiet hours, minutes after midnight in the program time zone; null: the program's. Equal: none. */
  @Property({ type: 'smallint', nullable: true })
  quietStart?: number | null;

  @Property({ type: 'smallint', nullable: true })
  quietEnd?: number | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  updatedAt: Opt<Date> = new Date();
}
