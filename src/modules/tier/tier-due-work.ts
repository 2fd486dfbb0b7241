import type { EntityManager } from '@mikro-orm/postgresql';
import type { DueWork, DueWorkScope } from '../../platform/module.js';
import { loadLoyaltyProgram } from '../loyalty-program/index.js';
import { TierBook } from './tier-book.js';
import { syncTierRights } from './tier-rights.js';

const LEASE_MS = 5 * 60_000;
/** Members one transaction evaluates. */
const MEMBERS_PER_TRANSACTION = 100;

/**
 * Scheduled tier evaluations (00:00 program time on the evaluation day): members whose tier an
 * evaluation may move are found through an index on `evaluation_due_at`, claimed under
 * `SKIP LOCKED` with a lease, and each is evaluated at its scheduled instant under the member's
 * loyalty lock; missed evaluations (a worker down for a month) run one after another.
 */
export const tierEvaluationDueWork: DueWork = {
  name: 'tier-evaluation',

  async nextDue(em: EntityManager, clockId: string | null): Promise<Date | null> {
    const [row] = await em.execute<{ due: Date | null }[]>(
      clockId
        ? `select min(evaluation_due_at) as due from member_tier where test_clock_id = ? and evaluation_due_at is not null`
        : `select min(evaluation_due_at) as due from member_tier where test_clock_id is null and evaluation_due_at is not null`,
      clockId ? [clockId] : [],
    );
    return row?.due ? new Date(row.due) : null;
  },

  async runDue(scope: DueWorkScope): Promise<number> {
    const { em, now, clockId, limit } = scope;
    const lease = new Date(now.getTime() + LEASE_MS);
    const clockFilter = clockId ? `test_clock_id = ?` : `test_clock_id is null`;
    const claimed = await em.execute<{ member_id: string; due_at: Date }[]>(
      `with due as (
         select member_id, evaluation_due_at from member_tier
          where ${clockFilter} and evaluation_due_at is not null and evaluation_due_at <= ?
          order by evaluation_due_at limit ? for update skip locked)
       update member_tier t set evaluation_due_at = ? from due where t.member_id = due.member_id
       returning t.member_id, due.evaluation_due_at as due_at`,
      clockId ? [clockId, now, limit, lease] : [now, limit, lease],
    );
    if (claimed.length === 0) return 0;
    const program = await loadLoyaltyProgram(em);
    const claims = claimed.map((c) => ({ memberId: c.member_id, at: new Date(c.due_at) })).sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    for (let i = 0; i < claims.length; i += MEMBERS_PER_TRANSACTION) {
      const batch = claims.slice(i, i + MEMBERS_PER_TRANSACTION);
      try {
        await em.fork().transactional((tx) => new TierBook(tx, program, scope.deps).evaluateMany(batch, now));
      } catch (error) {
        // One member's failure must not hold back the rest: run them one at a time.
        if (batch.length === 1) throw error;
        for (const claim of batch) await em.fork().transactional((tx) => new TierBook(tx, program, scope.deps).evaluateMany([claim], now));
      }
    }
    return claimed.length;
  },
};

/**
 * The month's roll of the rights tiers unlock (00:00 program time on the 1st): members whose tier
 * unlocks any are found through an index on `rights_due_at`, claimed under `SKIP LOCKED` with a
 * lease, and each batch gets its new month's rights under the members' loyalty locks (in member
 * order: two runners never deadlock). A member whose tier changed meanwhile is synced as they are.
 */
export const tierRightsDueWork: DueWork = {
  name: 'tier-rights',

  async nextDue(em: EntityManager, clockId: string | null): Promise<Date | null> {
    const [row] = await em.execute<{ due: Date | null }[]>(
      `select min(rights_due_at) as due from member_tier where ${clockId ? 'test_clock_id = ?' : 'test_clock_id is null'} and rights_due_at is not null`,
      clockId ? [clockId] : [],
    );
    return row?.due ? new Date(row.due) : null;
  },

  async runDue(scope: DueWorkScope): Promise<number> {
    const { em, now, clockId, limit } = scope;
    const lease = new Date(now.getTime() + LEASE_MS);
    const claimed = await em.execute<{ member_id: string }[]>(
      `with due as (
         select member_id from member_tier
          where ${clockId ? 'test_clock_id = ?' : 'test_clock_id is null'} and rights_due_at is not null and rights_due_at <= ?
          order by rights_due_at limit ? for update skip locked)
       update member_tier t set rights_due_at = ? from due where t.member_id = due.member_id
       returning t.member_id`,
      [...(clockId ? [clockId] : []), now, limit, lease],
    );
    if (claimed.length === 0) return 0;
    const program = await loadLoyaltyProgram(em);
    const ids = claimed.map((c) => c.member_id).sort();
    for (let i = 0; i < ids.length; i += MEMBERS_PER_TRANSACTION) {
      const batch = ids.slice(i, i + MEMBERS_PER_TRANSACTION);
      await em.fork().transactional(async (tx) => {
        const holders = await tx.execute<{ member_id: string; tier_code: string; test_clock_id: string | null }[]>(
          `select member_id, tier_code, test_clock_id from member_tier where member_id = any(?::uuid[]) order by member_id for update`,
          [`{${batch.join(',')}}`],
        );
        await syncTierRights(tx, program, holders.map((h) => ({ memberId: h.member_id, tierCode: h.tier_code, clockId: h.test_clock_id })), now, scope.deps);
      });
    }
    return claimed.length;
  },
};
