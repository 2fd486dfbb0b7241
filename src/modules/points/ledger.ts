import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../platform/errors.js';
import { debtAccount, memberAccount, partnerIssuedAccount, partnerRedeemedAccount, SYSTEM_ACCOUNTS } from './accounts.js';
import { PointsAccountKind, PointsJournalKind } from './points.entity.js';
import { PointsError } from './points.errors.js';

const DAY_MS = 86_400_000;

/** Where issued points come from, or spent points go. */
export type Counterparty = { kind: 'PROGRAM' } | { kind: 'PARTNER'; partnerId: string };

/** A lot as the ledger moves it. */
interface LotRow {
  id: string;
  remaining: number;
  earned: number;
  expires_at: Date | null;
  earned_at: Date;
  reminded_at: Date | null;
}

interface Transfer {
  debit: string;
  credit: string;
  amount: number;
  lotId: string | null;
}

/** One lot's part in a spend or take-back. */
export interface LotMovement {
  lotId: string;
  amount: number;
}

export interface JournalHead {
  id: string;
  kind: PointsJournalKind;
  points: number;
  memberId: string;
  requestHash: string;
  memo: Record<string, unknown> | null;
}

export interface PostingCommon {
  memberId: string;
  /** Unique per posting; a repeat with the same request returns the first outcome. */
  idempotencyKey: string;
  /** When it counts (the activity's time, on the member's clock). */
  at: Date;
  activityId?: string | null;
  memo?: Record<string, unknown>;
}

export interface EarnRequest extends PostingCommon {
  points: number;
  from: Counterparty;
  expiresAt: Date | null;
  /** The member's test clock (due work is found per clock). */
  clockId: string | null;
  /** When it is posted (the member's now): a lot already expired by then expires at once. */
  postedAt: Date;
  /** Part of `points` someone else issues (the program's campaign points on a partner's purchase). */
  sponsored?: { points: number; by: Counterparty } | null;
}

export interface EarnOutcome {
  journalId: string;
  lotId: string | null;
  /** What went to repay the member's debt first. */
  repaid: number;
}

export interface TakeBackRequest extends PostingCommon {
  points: number;
  /** The lot to take from first (the refunded purchase's own). */
  ownLotId: string | null;
  /** The earning this reverses. */
  reverses: string | null;
  /** What is missing once the lots are empty: a debt later earnings repay, or forgiven. */
  shortfall: 'DEBT' | 'FORGIVE';
  /** Who issued them: a partner's points go back to the partner's issue account (it paid for them), the program's to `reversed`. @default PROGRAM */
  issuedBy?: Counterparty;
}

export interface TakeBackOutcome {
  journalId: string;
  fromLots: LotMovement[];
  /** Added to the member's debt. */
  debt: number;
  forgiven: number;
}

export interface SpendRequest extends PostingCommon {
  points: number;
  to: Counterparty;
  /** A lot it may not take from (the one the same order just earned). */
  excludeLot?: string | null;
}

export interface SpendOutcome {
  journalId: string;
  fromLots: LotMovement[];
}

export interface RestoreRequest extends PostingCommon {
  points: number;
  /** The spend whose points come back, into the lots they came from. */
  spendJournalId: string;
}

/** A member's points as of an instant. */
export interface PointsPosition {
  /** Points the member may spend now (their unexpired lots' remaining). */
  balance: number;
  /** What refunds left the member owing (later earnings repay it first). */
  debt: number;
}

/** The hash of a request, to tell a repeat from a conflicting reuse of its idempotency key. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}

/** When something is next due for a lot: its expiry reminder, then its expiry; null when nothing ever is. */
export function lotDueAt(lot: { remaining: number; expiresAt: Date | null; remindedAt: Date | null }, reminderDays: number): Date | null {
  if (lot.remaining <= 0 || !lot.expiresAt) return null;
  if (reminderDays > 0 && !lot.remindedAt) return new Date(lot.expiresAt.getTime() - reminderDays * DAY_MS);
  return lot.expiresAt;
}

const counterpartyIssued = (c: Counterparty): string => (c.kind === 'PROGRAM' ? SYSTEM_ACCOUNTS.issued : partnerIssuedAccount(c.partnerId));
const counterpartyRedeemed = (c: Counterparty): string => (c.kind === 'PROGRAM' ? SYSTEM_ACCOUNTS.redeemed : partnerRedeemedAccount(c.partnerId));

/**
 * The points ledger: the only code that writes `points_*`. Double entry (every movement a
 * transfer from one account to another), append-only journals and transfers, lots with their
 * own expiry taken oldest first, idempotency keys on every posting.
 *
 * Every posting runs inside the caller's transaction after {@link lock}, which holds the
 * member's account rows: a member's postings run one at a time, so a balance is checked and
 * changed under the same lock (never read outside it) and never goes below zero; the CHECK
 * constraints on `points_account` and `points_lot` say the same again to the database.
 */
export class PointsLedger {
  private locked: string | null = null;
  private position: PointsPosition | null = null;

  constructor(
    private readonly tx: EntityManager,
    /** Days before a lot expires that its reminder is due (0: none). */
    private readonly reminderDays: number,
  ) {}

  /**
   * Opens (when new) and locks the member's accounts, and expires their lots due by `at`, so
   * what follows sees exactly the points the member has at that instant.
   */
  async lock(memberId: string, at: Date): Promise<PointsPosition> {
    if (this.locked === memberId && this.position) return this.position;
    if (this.locked) throw new Error(`the ledger already holds member ${this.locked}: one member per transaction`);
    await this.tx.execute(
      `insert into points_account (id, kind, member_id) values (?, ?, ?), (?, ?, ?) on conflict (id) do nothing`,
      [memberAccount(memberId), PointsAccountKind.MEMBER, memberId, debtAccount(memberId), PointsAccountKind.MEMBER_DEBT, memberId],
    );
    const rows = await this.tx.execute<{ id: string; balance: string }[]>(`select id, balance from points_account where id in (?, ?) order by id for update`, [
      debtAccount(memberId),
      memberAccount(memberId),
    ]);
    const balanceOf = (id: string) => Number(rows.find((r) => r.id === id)?.balance ?? 0);
    this.locked = memberId;
    this.position = { balance: balanceOf(memberAccount(memberId)), debt: -balanceOf(debtAccount(memberId)) };
    await this.expireDue(memberId, at);
    return this.position;
  }

  /** Opens a partner's issue and redeem accounts the first time it takes part. */
  private async openPartner(counterparty: Counterparty | undefined): Promise<void> {
    if (counterparty?.kind !== 'PARTNER') return;
    const id = counterparty.partnerId;
    await this.tx.execute(
      `insert into points_account (id, kind, partner_id) values (?, ?, ?), (?, ?, ?) on conflict (id) do nothing`,
      [partnerIssuedAccount(id), PointsAccountKind.PARTNER_ISSUED, id, partnerRedeemedAccount(id), PointsAccountKind.PARTNER_REDEEMED, id],
    );
  }

  private held(memberId: string): PointsPosition {
    if (this.locked !== memberId || !this.position) throw new Error(`lock member ${memberId}'s points before posting`);
    return this.position;
  }

  /** A journal posted before under this key, for the caller to compare hashes. */
  async findJournal(idempotencyKey: string): Promise<JournalHead | null> {
    const [row] = await this.tx.execute<{ id: string; kind: PointsJournalKind; points: number; member_id: string; request_hash: string; memo: Record<string, unknown> | null }[]>(
      `select id, kind, points, member_id, request_hash, memo from points_journal where idempotency_key = ?`,
      [idempotencyKey],
    );
    return row ? { id: row.id, kind: row.kind, points: row.points, memberId: row.member_id, requestHash: row.request_hash, memo: row.memo } : null;
  }

  /** The first outcome of a repeated posting, or IDEMPOTENCY_CONFLICT when the key was used for another request. */
  private async repeated(request: PostingCommon, hash: string): Promise<JournalHead | null> {
    const existing = await this.findJournal(request.idempotencyKey);
    if (!existing) return null;
    if (existing.requestHash !== hash || existing.memberId !== request.memberId) throw AppError.idempotencyConflict();
    return existing;
  }

  private async journal(kind: PointsJournalKind, request: PostingCommon, points: number, hash: string, reverses: string | null = null): Promise<string> {
    const id = randomUUID();
    await this.tx.execute(
      `insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, activity_id, memo, effective_at, reverses_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, request.idempotencyKey, hash, kind, request.memberId, points, request.activityId ?? null, request.memo ? JSON.stringify(request.memo) : null, request.at, reverses],
    );
    return id;
  }

  /** Writes transfers and moves the member's own balances by what they net to. */
  private async transfer(journalId: string, memberId: string, transfers: Transfer[]): Promise<void> {
    if (transfers.length === 0) return;
    const values = transfers.map(() => `(gen_random_uuid(), ?, ?, ?, ?, ?)`).join(', ');
    await this.tx.execute(
      `insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id) values ${values}`,
      transfers.flatMap((t) => [journalId, t.debit, t.credit, t.amount, t.lotId]),
    );
    const net = new Map<string, number>();
    for (const t of transfers) {
      net.set(t.credit, (net.get(t.credit) ?? 0) + t.amount);
      net.set(t.debit, (net.get(t.debit) ?? 0) - t.amount);
    }
    const position = this.held(memberId);
    for (const [account, change] of net) {
      if (change === 0) continue;
      if (account === memberAccount(memberId)) position.balance += change;
      else if (account === debtAccount(memberId)) position.debt -= change;
      else continue; // the program's and partners' accounts: their balance is the sum of their transfers
      await this.tx.execute(`update points_account set balance = balance + ? where id = ?`, [change, account]);
    }
  }

  private async setLot(lotId: string, remaining: number, expiresAt: Date | null, remindedAt: Date | null): Promise<void> {
    await this.tx.execute(`update points_lot set remaining = ?, due_at = ? where id = ?`, [remaining, lotDueAt({ remaining, expiresAt, remindedAt }, this.reminderDays), lotId]);
  }

  /** Points in: a lot with its expiry, from which the member's debt is repaid first. */
  async earn(request: EarnRequest): Promise<EarnOutcome> {
    if (!Number.isInteger(request.points) || request.points < 0) throw new Error(`earn: points must be a whole number ≥ 0, got ${request.points}`);
    const hash = requestHash(['earn', request.points, request.from, request.expiresAt, request.activityId ?? null, request.sponsored ?? null]);
    const position = this.held(request.memberId);
    const first = await this.repeated(request, hash);
    if (first) {
      const [lot] = await this.tx.execute<{ id: string; earned: number; remaining: number }[]>(`select id from points_lot where member_id = ? and journal_id = ?`, [first.memberId, first.id]);
      return { journalId: first.id, lotId: lot?.id ?? null, repaid: Number(first.memo?.repaid ?? 0) };
    }
    await this.openPartner(request.from);
    const repaid = Math.min(request.points, position.debt);
    const journalId = await this.journal(PointsJournalKind.EARN, { ...request, memo: { ...request.memo, ...(repaid > 0 ? { repaid } : {}) } }, request.points, hash);
    if (request.points === 0) return { journalId, lotId: null, repaid: 0 };
    const lotId = randomUUID();
    const remaining = request.points - repaid;
    await this.tx.execute(
      `insert into points_lot (id, member_id, journal_id, earned, remaining, earned_at, expires_at, test_clock_id, due_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [lotId, request.memberId, journalId, request.points, remaining, request.at, request.expiresAt, request.clockId, lotDueAt({ remaining, expiresAt: request.expiresAt, remindedAt: null }, this.reminderDays)],
    );
    const sponsored = Math.min(request.points, request.sponsored?.points ?? 0);
    const transfers: Transfer[] = [];
    if (request.points - sponsored > 0) transfers.push({ debit: counterpartyIssued(request.from), credit: memberAccount(request.memberId), amount: request.points - sponsored, lotId });
    if (sponsored > 0) transfers.push({ debit: counterpartyIssued(request.sponsored!.by), credit: memberAccount(request.memberId), amount: sponsored, lotId });
    if (repaid > 0) transfers.push({ debit: memberAccount(request.memberId), credit: debtAccount(request.memberId), amount: repaid, lotId });
    await this.transfer(journalId, request.memberId, transfers);
    if (request.expiresAt && request.expiresAt <= request.postedAt) await this.expireDue(request.memberId, request.postedAt);
    return { journalId, lotId, repaid };
  }

  /** The member's spendable lots at `at`, the one named first, then oldest first. */
  private async spendableLots(memberId: string, at: Date, first: string | null = null): Promise<LotRow[]> {
    const rows = await this.tx.execute<LotRow[]>(
      `select id, remaining, earned, expires_at, earned_at, reminded_at from points_lot
        where member_id = ? and remaining > 0 and (expires_at is null or expires_at > ?)
        order by (id = ?) desc, expires_at nulls last, earned_at, id`,
      [memberId, at, first ?? '00000000-0000-0000-0000-000000000000'],
    );
    // Raw rows carry instants as text.
    return rows.map((r) => ({ ...r, earned_at: new Date(r.earned_at), expires_at: dateOrNull(r.expires_at), reminded_at: dateOrNull(r.reminded_at) }));
  }

  /** Takes what `plan` says out of `lots` to `credit`. */
  private async drain(lots: LotRow[], plan: LotMovement[], memberId: string, credit: string, journalId: string): Promise<LotMovement[]> {
    for (const move of plan) {
      const lot = lots.find((l) => l.id === move.lotId)!;
      await this.setLot(lot.id, lot.remaining - move.amount, lot.expires_at, lot.reminded_at);
    }
    await this.transfer(
      journalId,
      memberId,
      plan.map((m) => ({ debit: memberAccount(memberId), credit, amount: m.amount, lotId: m.lotId })),
    );
    return plan;
  }

  /**
   * A refund takes back what its purchase earned: from the purchase's own lot, then other lots
   * oldest first; what is still missing becomes a debt (or is forgiven, per the program).
   */
  async takeBack(request: TakeBackRequest): Promise<TakeBackOutcome> {
    const hash = requestHash(['takeBack', request.points, request.ownLotId, request.reverses, request.shortfall, request.issuedBy ?? null, request.activityId ?? null]);
    const back = request.issuedBy?.kind === 'PARTNER' ? partnerIssuedAccount(request.issuedBy.partnerId) : SYSTEM_ACCOUNTS.reversed;
    const position = this.held(request.memberId);
    const first = await this.repeated(request, hash);
    if (first) return { journalId: first.id, fromLots: (first.memo?.fromLots as LotMovement[]) ?? [], debt: Number(first.memo?.debt ?? 0), forgiven: Number(first.memo?.forgiven ?? 0) };
    await this.openPartner(request.issuedBy);
    const lots = await this.spendableLots(request.memberId, request.at, request.ownLotId);
    const available = Math.min(position.balance, request.points);
    const missing = request.points - available;
    const debt = request.shortfall === 'DEBT' ? missing : 0;
    const forgiven = missing - debt;
    const plan = planDrain(lots, available);
    const journalId = await this.journal(PointsJournalKind.REVERSAL, { ...request, memo: { ...request.memo, fromLots: plan, debt, forgiven } }, request.points, hash, request.reverses);
    const fromLots = await this.drain(lots, plan, request.memberId, back, journalId);
    if (debt > 0) await this.transfer(journalId, request.memberId, [{ debit: debtAccount(request.memberId), credit: back, amount: debt, lotId: null }]);
    return { journalId, fromLots, debt, forgiven };
  }

  /** Points out (a reward, a burn at a partner's till), oldest lot first; INSUFFICIENT_POINTS when the balance is short. */
  async spend(request: SpendRequest): Promise<SpendOutcome> {
    if (!Number.isInteger(request.points) || request.points <= 0) throw new Error(`spend: points must be a whole number > 0, got ${request.points}`);
    const hash = requestHash(['spend', request.points, request.to, request.activityId ?? null, request.memo ?? null]);
    this.held(request.memberId);
    const first = await this.repeated(request, hash);
    if (first) return { journalId: first.id, fromLots: (first.memo?.fromLots as LotMovement[]) ?? [] };
    const lots = (await this.spendableLots(request.memberId, request.at)).filter((l) => l.id !== request.excludeLot);
    const available = lots.reduce((sum, l) => sum + l.remaining, 0);
    if (available < request.points) throw PointsError.insufficient(available, request.points);
    await this.openPartner(request.to);
    const plan = planDrain(lots, request.points);
    const journalId = await this.journal(PointsJournalKind.SPEND, { ...request, memo: { ...request.memo, fromLots: plan } }, request.points, hash);
    const fromLots = await this.drain(lots, plan, request.memberId, counterpartyRedeemed(request.to), journalId);
    return { journalId, fromLots };
  }

  /**
   * Gives spent points back into the lots they came from, with their own expiry (the order they
   * paid for was refunded): the lots spent last first, never more than the spend took from each.
   * A lot that expired meanwhile expires again at once.
   */
  async restore(request: RestoreRequest): Promise<{ journalId: string; toLots: LotMovement[] }> {
    const hash = requestHash(['restore', request.points, request.spendJournalId, request.activityId ?? null]);
    this.held(request.memberId);
    const first = await this.repeated(request, hash);
    if (first) return { journalId: first.id, toLots: (first.memo?.toLots as LotMovement[]) ?? [] };
    const spent = await this.tx.execute<{ lot_id: string; credit_account_id: string; taken: number; given: string | null; remaining: number; expires_at: Date | null; reminded_at: Date | null }[]>(
      `select t.lot_id, t.credit_account_id, t.amount as taken, l.remaining, l.expires_at, l.reminded_at,
              (select sum(r.amount) from points_transfer r join points_journal rj on rj.id = r.journal_id
                where rj.reverses_id = t.journal_id and r.lot_id = t.lot_id) as given
         from points_transfer t join points_lot l on l.id = t.lot_id
        where t.journal_id = ? and t.debit_account_id = ?
        order by l.expires_at desc nulls first, l.earned_at desc`,
      [request.spendJournalId, memberAccount(request.memberId)],
    );
    for (const row of spent) {
      row.expires_at = dateOrNull(row.expires_at);
      row.reminded_at = dateOrNull(row.reminded_at);
    }
    const toLots: LotMovement[] = [];
    let left = request.points;
    for (const row of spent) {
      const give = Math.min(left, row.taken - Number(row.given ?? 0));
      if (give <= 0) continue;
      left -= give;
      toLots.push({ lotId: row.lot_id, amount: give });
    }
    const journalId = await this.journal(PointsJournalKind.RESTORE, { ...request, memo: { ...request.memo, toLots } }, request.points - left, hash, request.spendJournalId);
    for (const move of toLots) {
      const row = spent.find((r) => r.lot_id === move.lotId)!;
      await this.setLot(move.lotId, row.remaining + move.amount, row.expires_at, row.reminded_at);
    }
    await this.transfer(
      journalId,
      request.memberId,
      toLots.map((m) => ({ debit: spent.find((r) => r.lot_id === m.lotId)!.credit_account_id, credit: memberAccount(request.memberId), amount: m.amount, lotId: m.lotId })),
    );
    // A lot restored past its expiry expires again, now.
    await this.expireDue(request.memberId, request.at);
    return { journalId, toLots };
  }

  /** Expires the member's lots whose expiry is at or before `at` (one journal). Returns the points expired. */
  async expireDue(memberId: string, at: Date): Promise<number> {
    const due = await this.tx.execute<{ id: string; remaining: number; expires_at: Date }[]>(
      `select id, remaining, expires_at from points_lot where member_id = ? and remaining > 0 and expires_at <= ? order by expires_at, earned_at, id`,
      [memberId, at],
    );
    if (due.length === 0) return 0;
    const points = due.reduce((sum, lot) => sum + lot.remaining, 0);
    const request: PostingCommon = { memberId, idempotencyKey: `expiry:${randomUUID()}`, at, memo: { lots: due.length } };
    const journalId = await this.journal(PointsJournalKind.EXPIRY, request, points, requestHash(['expiry', due.map((d) => d.id)]));
    await this.tx.execute(`update points_lot set remaining = 0, due_at = null where id = any(?::uuid[])`, [`{${due.map((d) => d.id).join(',')}}`]);
    await this.transfer(
      journalId,
      memberId,
      due.map((lot) => ({ debit: memberAccount(memberId), credit: SYSTEM_ACCOUNTS.expired, amount: lot.remaining, lotId: lot.id })),
    );
    return points;
  }
}

function dateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}

/** How `points` would be taken from `lots` in order (for the journal's memo). */
function planDrain(lots: LotRow[], points: number): LotMovement[] {
  const plan: LotMovement[] = [];
  let left = points;
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(left, lot.remaining);
    left -= take;
    plan.push({ lotId: lot.id, amount: take });
  }
  return plan;
}

/**
 * Expires, in one statement, every lot of `memberIds` due by `at` (one EXPIRY journal per member,
 * one transfer per lot, balances moved), after locking those members' accounts in id order (so
 * two runners holding overlapping members never deadlock). The due work's batch path: the same
 * rows {@link PointsLedger.expireDue} writes for one member. Returns the points expired per member.
 */
export async function expireDueLots(tx: EntityManager, memberIds: readonly string[], at: Date): Promise<Map<string, number>> {
  if (memberIds.length === 0) return new Map();
  const sorted = [...memberIds].sort();
  const accounts = `{${sorted.map(memberAccount).join(',')}}`;
  await tx.execute(`select id from points_account where id = any(?::text[]) order by id for update`, [accounts]);
  const rows = await tx.execute<{ member_id: string; points: string }[]>(
    `with due as (
       select id, member_id, remaining from points_lot
        where member_id = any(?::uuid[]) and remaining > 0 and expires_at <= ? for update),
     totals as (select member_id, sum(remaining) as points, count(*) as lots from due group by member_id),
     journals as (
       insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, memo, effective_at)
       select gen_random_uuid(), 'expiry:' || gen_random_uuid(), 'expiry', 'EXPIRY', member_id, points, jsonb_build_object('lots', lots), ?
         from totals returning id, member_id),
     transfers as (
       insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id)
       select gen_random_uuid(), j.id, 'member:' || d.member_id, ?, d.remaining, d.id from due d join journals j on j.member_id = d.member_id),
     lots as (update points_lot set remaining = 0, due_at = null where id in (select id from due)),
     balances as (update points_account a set balance = a.balance - t.points from totals t where a.id = 'member:' || t.member_id)
     select member_id, points from totals`,
    [`{${sorted.join(',')}}`, at, at, SYSTEM_ACCOUNTS.expired],
  );
  return new Map(rows.map((r) => [r.member_id, Number(r.points)]));
}
