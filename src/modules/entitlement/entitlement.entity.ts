import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Benefit } from '../bundle/index.js';
import { Member } from '../member/index.js';
import { Membership } from '../membership/index.js';

export enum EntitlementStatus {
  PENDING_PROVISION = 'PENDING_PROVISION',
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}

/** What granted a right: the paid membership's bundle, or the loyalty program (a reward bought with points, a tier held, a campaign). */
export enum EntitlementSource {
  MEMBERSHIP = 'MEMBERSHIP',
  REWARD = 'REWARD',
  TIER = 'TIER',
  CAMPAIGN = 'CAMPAIGN',
}

/**
 * The materialized right of one member to one benefit for one period. A right that stops
 * being usable invalidates, in its status list, its tokens that may still be live, whatever
 * path changed it (refund, fraud, erasure, a partner's rejection, the period's end).
 */
@Entity({
  tableName: 'entitlement',
  triggers: [
    {
      name: 'invalidate_tokens',
      timing: 'after',
      events: ['update'],
      forEach: 'row',
      // As PostgreSQL prints it back, so that migration:check sees no difference.
      when: `((old.status IS DISTINCT FROM new.status) AND (new.status = ANY (ARRAY['REVOKED'::entitlement_status, 'SUSPENDED'::entitlement_status, 'EXPIRED'::entitlement_status])))`,
      body: `update issued_token set status = 1, status_changed_at = now()
  where member_id = new.member_id and entitlement_id = new.id and status = 0 and expires_at > now() - interval '1 minute';
  return null;`,
    },
  ],
})
// A membership's right to a benefit for a period, once (its member last: a membership is one member's, docs/citus.md).
@Unique({ name: 'entitlement_membership_benefit_period_unique', properties: ['membership', 'benefit', 'periodStart', 'member'] })
@Index({ properties: ['member', 'periodEnd'] })
// A program's grant (no membership) is one right per what granted it and its period: granting twice grants once.
@Index({
  name: 'entitlement_grant_unique',
  expression: `create unique index "entitlement_grant_unique" on "entitlement" ("member_id", "benefit_id", "source", "source_ref", "period_start") where "membership_id" is null`,
})
// The program's grants that are live, by their end: what their expiry due work finds.
@Index({
  name: 'entitlement_grant_live_end',
  expression: `create index "entitlement_grant_live_end" on "entitlement" ("test_clock_id", "period_end") where "membership_id" is null and "status" in ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED')`,
})
@Check({
  name: 'entitlement_source_matches',
  expression: `((source = 'MEMBERSHIP'::entitlement_source) = (membership_id IS NOT NULL)) AND ((source = 'MEMBERSHIP'::entitlement_source) = (source_ref IS NULL))`,
})
@Check({ name: 'entitlement_used_within_quota', expression: 'used >= 0 and (quota is null or used <= quota)' })
export class Entitlement {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Member })
  member!: Rel<Member>;

  /** The paid membership whose bundle grants it; null for a right the loyalty program grants (see `source`). */
  @ManyToOne({ entity: () => Membership, nullable: true, deleteRule: 'no action' })
  membership?: Rel<Membership> | null;

  @Enum({ items: () => EntitlementSource, nativeEnumName: 'entitlement_source', default: EntitlementSource.MEMBERSHIP })
  source: Opt<EntitlementSource> = EntitlementSource.MEMBERSHIP;

  /** What granted a program's right: the reward redemption's id, the tier's code, the campaign's code; null for a membership's. */
  @Property({ type: 'text', nullable: true })
  sourceRef?: string | null;

  /** The member's test clock when the program granted it (its expiry is due work on that clock); null on real time or for a membership's right. */
  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  @ManyToOne({ entity: () => Benefit })
  benefit!: Rel<Benefit>;

  @Enum({ items: () => EntitlementStatus, nativeEnumName: 'entitlement_status' })
  status!: EntitlementStatus;

  @Property({ type: 'datetime' })
  periodStart!: Date;

  @Property({ type: 'datetime' })
  periodEnd!: Date;

  /** Uses granted for the period; null means unlimited. */
  @Property({ type: 'integer', nullable: true })
  quota?: number | null;

  /** Units redeemed so far; always equals the units of this entitlement's redemptions that were not voided. */
  @Property({ type: 'integer', default: 0 })
  used: Opt<number> = 0;

  /** When it became usable (its period's start); null while it waits for its partner, or never was. */
  @Property({ type: 'datetime', nullable: true })
  activatedAt?: Date | null;

  /** When it was taken back before its period ended (refund, fraud, a membership that ended unpaid). */
  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
