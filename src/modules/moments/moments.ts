import type { EntityManager } from '@mikro-orm/postgresql';
import type { MomentDataByKind } from './kinds.js';
import type { MomentKind } from './moment.entity.js';

/** A moment as a producer records it. */
export interface MomentInput<K extends MomentKind = MomentKind> {
  memberId: string;
  kind: K;
  /** When it happened, on the member's clock (their test clock's time when they are on one). */
  occurredAt: Date;
  /** The figures the message states (see {@link MomentDataByKind}). */
  data: MomentDataByKind[`${K}`];
  /**
   * Names the moment among all others (`TIER_UP:<member>:<tier change id>`): recording it again
   * records nothing. At most 200 characters.
   */
  dedupeKey: string;
  /** The member's test clock, null on real time (their moments are delivered as their clock moves). */
  clockId: string | null;
}

const MAX_DEDUPE_KEY = 200;

/** Members' moments: the only code that inserts into `member_moment`. */
export const Moments = {
  /**
   * Records a moment in the caller's transaction (one `INSERT … ON CONFLICT DO NOTHING`), to be
   * delivered as a message when it is due (at `occurredAt`, later in quiet hours); false when its
   * dedupe key was recorded before.
   */
  async record<K extends MomentKind>(tx: EntityManager, input: MomentInput<K>): Promise<boolean> {
    if (!input.dedupeKey || input.dedupeKey.length > MAX_DEDUPE_KEY) throw new TypeError(`Moments.record: dedupeKey must be 1 to ${MAX_DEDUPE_KEY} characters`);
    if (Number.isNaN(input.occurredAt.getTime())) throw new TypeError('Moments.record: occurredAt must be a valid instant');
    const rows = await tx.execute<{ id: string }[]>(
      `insert into member_moment (id, member_id, kind, occurred_at, data, dedupe_key, status, attempts, deliver_at, test_clock_id)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)
       on conflict (member_id, dedupe_key) do nothing
       returning id`,
      [input.memberId, input.kind, input.occurredAt, JSON.stringify(input.data), input.dedupeKey, input.occurredAt, input.clockId],
    );
    return rows.length > 0;
  },

  /**
   * Records many moments in the caller's transaction, in statements of up to 1,000 rows (a member
   * day told to a whole tier); returns how many were new (the others' dedupe keys were recorded
   * before).
   */
  async recordMany<K extends MomentKind>(tx: EntityManager, inputs: ReadonlyArray<MomentInput<K>>): Promise<number> {
    let recorded = 0;
    for (let i = 0; i < inputs.length; i += 1_000) {
      const batch = inputs.slice(i, i + 1_000);
      for (const input of batch) {
        if (!input.dedupeKey || input.dedupeKey.length > MAX_DEDUPE_KEY) throw new TypeError(`Moments.recordMany: dedupeKey must be 1 to ${MAX_DEDUPE_KEY} characters`);
        if (Number.isNaN(input.occurredAt.getTime())) throw new TypeError('Moments.recordMany: occurredAt must be a valid instant');
      }
      const rows = await tx.execute<{ id: string }[]>(
        `insert into member_moment (id, member_id, kind, occurred_at, data, dedupe_key, status, attempts, deliver_at, test_clock_id)
         values ${batch.map(() => `(gen_random_uuid(), ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)`).join(', ')}
         on conflict (member_id, dedupe_key) do nothing
         returning id`,
        batch.flatMap((input) => [input.memberId, input.kind, input.occurredAt, JSON.stringify(input.data), input.dedupeKey, input.occurredAt, input.clockId]),
      );
      recorded += rows.length;
    }
    return recorded;
  },
};
