import type { EntityManager } from '@mikro-orm/postgresql';

/** What happened to a membership, for support's timeline (`membershipTimeline`). */
export enum MembershipEventType {
  SUBSCRIBED = 'SUBSCRIBED',
  TRIAL_STARTED = 'TRIAL_STARTED',
  MANDATE_GIVEN = 'MANDATE_GIVEN',
  MANDATE_REFUSED = 'MANDATE_REFUSED',
  /** A charge went through (any kind: first period, renewal, retry, recovery, proration). */
  CHARGED = 'CHARGED',
  CHARGE_FAILED = 'CHARGE_FAILED',
  /** The renewal reminder went to the member. */
  REMINDED = 'REMINDED',
  /** A new period began (its charge may still be confirming). */
  RENEWED = 'RENEWED',
  PAST_DUE = 'PAST_DUE',
  /** Paid during grace: ACTIVE again, same period, no gap. */
  RESUMED = 'RESUMED',
  AUTO_RENEW_ON = 'AUTO_RENEW_ON',
  AUTO_RENEW_OFF = 'AUTO_RENEW_OFF',
  CANCEL_REQUESTED = 'CANCEL_REQUESTED',
  PLAN_CHANGE_SCHEDULED = 'PLAN_CHANGE_SCHEDULED',
  PLAN_CHANGED = 'PLAN_CHANGED',
  REFUNDED = 'REFUNDED',
  ENDED = 'ENDED',
}

/** Appends one event to a membership's timeline, in the caller's transaction (with the membership's member, its distribution column on Citus). */
export async function recordEvent(
  em: EntityManager,
  membership: { id: string; member: { id: string } },
  type: MembershipEventType,
  at: Date,
  data?: Record<string, unknown>,
): Promise<void> {
  await em.execute(`insert into membership_event (id, membership_id, member_id, type, at, data) values (gen_random_uuid(), ?, ?, ?, ?, ?)`, [
    membership.id,
    membership.member.id,
    type,
    at,
    data ? JSON.stringify(data) : null,
  ]);
}
