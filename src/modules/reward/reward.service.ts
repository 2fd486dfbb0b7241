import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import type { LocalizedText } from '../../platform/localized.js';
import { localParts, storable, zonedInstant } from '../../platform/zoned-time.js';
import { EntitlementSource, grantRights, revokeRights } from '../entitlement/index.js';
import { loadLoyaltyProgram, type RewardOffer } from '../loyalty-program/index.js';
import { memberAccount, PointsLedger } from '../points/index.js';
import { RewardRedemptionStatus } from './reward.entity.js';
import { RewardError } from './reward.errors.js';

const MAX_KEY_LENGTH = 200;

/** A reward as a member sees it in the catalog: what it costs and whether they can have it now. */
export interface RewardOfferView extends RewardOffer {
  /** The member has enough points now. */
  affordable: boolean;
  /** Points the member still needs (0 when affordable). */
  pointsShort: number;
}

export interface RewardRedemptionView {
  id: string;
  rewardCode: string;
  rewardName: LocalizedText;
  points: number;
  status: RewardRedemptionStatus;
  redeemedAt: Date;
  canceledAt: Date | null;
  entitlementId: string | null;
}

interface RedemptionRow {
  id: string;
  reward_code: string;
  points: number;
  spend_journal_id: string;
  entitlement_id: string | null;
  status: RewardRedemptionStatus;
  redeemed_at: Date;
  canceled_at: Date | null;
  idempotency_key: string;
  reward_name: LocalizedText | null;
}

const COLUMNS = `r.id, r.reward_code, r.points, r.spend_journal_id, r.entitlement_id, r.status, r.redeemed_at, r.canceled_at, r.idempotency_key,
  (select j.memo -> 'rewardName' from points_journal j where j.id = r.spend_journal_id) as reward_name`;

function view(row: RedemptionRow): RewardRedemptionView {
  return {
    id: row.id,
    rewardCode: row.reward_code,
    rewardName: row.reward_name ?? { en: row.reward_code, 'zh-CN': row.reward_code },
    points: row.points,
    status: row.status,
    redeemedAt: new Date(row.redeemed_at),
    canceledAt: row.canceled_at ? new Date(row.canceled_at) : null,
    entitlementId: row.entitlement_id,
  };
}

/**
 * The end of a reward's validity: 00:00 program time after its last day, today counting as the
 * first (redeemed on 7 Dec with 30 days: usable until 6 Jan, 24:00).
 */
export function rewardValidUntil(at: Date, validityDays: number, timeZone: string): Date {
  const p = localParts(at, timeZone);
  return storable(zonedInstant({ ...p, day: p.day + validityDays, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone));
}

/**
 * Members buy the program's rewards with points: the spend (oldest lots first) and the right that
 * delivers the reward — a voucher code to claim, a quota unit a partner redeems, units a partner
 * credits (provisioned through the outbox) — in one transaction under the member's points lock,
 * so balances never go below zero and the same idempotency key is one redemption. A redemption
 * nothing of which was used can be given back: the right revoked, the points back into the lots
 * they came from with their own expiry.
 */
export class RewardService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'now' | 'memberClocks' | 'timeZone' | 'provisionedPartners'>,
  ) {}

  private async clock(memberId: string): Promise<{ now: Date; clockId: string | null }> {
    const clock = await this.deps.memberClocks?.of(this.em, memberId);
    return { now: clock?.now ?? this.deps.now?.() ?? new Date(), clockId: clock?.clockId ?? null };
  }

  /** The active rewards, cheapest first, each with whether the member can afford it now. */
  async catalog(balance: number): Promise<RewardOfferView[]> {
    const program = await loadLoyaltyProgram(this.em);
    return program.rewards.map((r) => ({ ...r, affordable: balance >= r.pointsCost, pointsShort: Math.max(0, r.pointsCost - balance) }));
  }

  /**
   * Redeems a reward: INSUFFICIENT_POINTS when the balance is short, REWARD_UNAVAILABLE when no
   * active reward has the code or its voucher pool is empty, IDEMPOTENCY_CONFLICT when the key
   * bought another reward; in each case nothing changes. Returns the redemption and the balance after it.
   */
  async redeem(memberId: string, rewardCode: string, idempotencyKey: string): Promise<{ redemption: RewardRedemptionView; balance: number }> {
    new InputValidator()
      .check(idempotencyKey.length >= 1 && idempotencyKey.length <= MAX_KEY_LENGTH, 'idempotencyKey', `must be 1-${MAX_KEY_LENGTH} characters`)
      .throwIfInvalid();
    const program = await loadLoyaltyProgram(this.em);
    const { now, clockId } = await this.clock(memberId);
    return this.em.fork().transactional(async (tx) => {
      const ledger = new PointsLedger(tx, program.rules.expiryReminderDays);
      // The member's points lock: their redemptions, burns and activities run one at a time.
      await ledger.lock(memberId, now);
      const [first] = await tx.execute<RedemptionRow[]>(`select ${COLUMNS} from reward_redemption r where r.member_id = ? and r.idempotency_key = ?`, [memberId, idempotencyKey]);
      if (first) {
        if (first.reward_code !== rewardCode) throw AppError.idempotencyConflict();
        return { redemption: view(first), balance: await balanceOf(tx, memberId) };
      }
      const reward = program.reward(rewardCode);
      if (!reward) throw RewardError.unavailable(rewardCode, 'UNKNOWN');
      const [benefit] = reward.benefitCode
        ? await tx.execute<{ id: string; kind: string; available: number }[]>(
            `select b.id, b.kind, case when b.kind = 'VOUCHER' then (select count(*)::int from voucher_code c where c.benefit_id = b.id and c.claimed_at is null) end as available
               from benefit b where b.code = ?`,
            [reward.benefitCode],
          )
        : [];
      if (reward.benefitCode && !benefit) throw RewardError.unavailable(rewardCode, 'UNKNOWN');
      if (benefit?.kind === 'VOUCHER' && benefit.available < reward.units) throw RewardError.unavailable(rewardCode, 'OUT_OF_STOCK');

      const id = randomUUID();
      const spent = await ledger.spend({
        memberId,
        idempotencyKey: `reward:${id}`,
        at: now,
        points: reward.pointsCost,
        to: { kind: 'PROGRAM' },
        memo: { type: 'REWARD', reward: reward.code, rewardName: reward.name, redemptionId: id },
      });
      const [right] = benefit
        ? await grantRights(
            tx,
            [
              {
                memberId,
                benefitId: benefit.id,
                quota: benefit.kind === 'ACCESS' ? null : reward.units,
                periodStart: now,
                periodEnd: rewardValidUntil(now, reward.validityDays, this.deps.timeZone),
                source: EntitlementSource.REWARD,
                sourceRef: id,
                clockId,
              },
            ],
            { provisionedPartners: this.deps.provisionedPartners },
          )
        : [];
      await tx.execute(
        `insert into reward_redemption (id, member_id, idempotency_key, reward_code, points, spend_journal_id, entitlement_id, status, redeemed_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, memberId, idempotencyKey, reward.code, reward.pointsCost, spent.journalId, right?.id ?? null, RewardRedemptionStatus.REDEEMED, now],
      );
      const [row] = await tx.execute<RedemptionRow[]>(`select ${COLUMNS} from reward_redemption r where r.id = ?`, [id]);
      return { redemption: view(row!), balance: await balanceOf(tx, memberId) };
    });
  }

  /**
   * Gives a redemption back while nothing of it was used: its right is revoked (its partner told,
   * its tokens invalid) and its points return to the lots they came from, with their own expiry
   * (a lot expired meanwhile expires again at once). A repeat returns the canceled redemption.
   * REWARD_NOT_CANCELABLE when a unit was used or a voucher claimed (`USED`), the partner already
   * credited it (`DELIVERED`), or its right ended (`ENDED`).
   */
  async cancel(memberId: string, redemptionId: string): Promise<{ redemption: RewardRedemptionView; balance: number }> {
    if (!isUuid(redemptionId)) throw AppError.notFound('RewardRedemption', redemptionId);
    const program = await loadLoyaltyProgram(this.em);
    const { now } = await this.clock(memberId);
    return this.em.fork().transactional(async (tx) => {
      const ledger = new PointsLedger(tx, program.rules.expiryReminderDays);
      await ledger.lock(memberId, now);
      const [row] = await tx.execute<RedemptionRow[]>(`select ${COLUMNS} from reward_redemption r where r.id = ? and r.member_id = ? for update`, [redemptionId, memberId]);
      if (!row) throw AppError.notFound('RewardRedemption', redemptionId);
      if (row.status === RewardRedemptionStatus.CANCELED) return { redemption: view(row), balance: await balanceOf(tx, memberId) };
      if (row.entitlement_id) {
        // The right's row lock: a partner's redemption or a voucher claim waits, then finds it revoked.
        const [right] = await tx.execute<{ status: string; used: number; period_end: Date; kind: string; claimed: boolean }[]>(
          `select e.status, e.used, e.period_end, b.kind,
                  exists (select 1 from voucher_code c where c.entitlement_id = e.id) as claimed
             from entitlement e join benefit b on b.id = e.benefit_id where e.id = ? for update of e`,
          [row.entitlement_id],
        );
        if (right!.used > 0 || right!.claimed) throw RewardError.notCancelable(redemptionId, 'USED');
        if (right!.status === 'EXPIRED' || right!.status === 'REVOKED' || new Date(right!.period_end) <= now) throw RewardError.notCancelable(redemptionId, 'ENDED');
        if ((right!.kind === 'CONVERSION' || right!.kind === 'ACCESS') && right!.status === 'ACTIVE') throw RewardError.notCancelable(redemptionId, 'DELIVERED');
        await revokeRights(tx, { entitlementIds: [row.entitlement_id] }, { now, provisionedPartners: this.deps.provisionedPartners });
      }
      await ledger.restore({
        memberId,
        idempotencyKey: `reward-cancel:${redemptionId}`,
        at: now,
        points: row.points,
        spendJournalId: row.spend_journal_id,
        memo: { type: 'REWARD_CANCELED', reward: row.reward_code, rewardName: row.reward_name, redemptionId },
      });
      await tx.execute(`update reward_redemption set status = ?, canceled_at = ? where id = ?`, [RewardRedemptionStatus.CANCELED, now, redemptionId]);
      const [after] = await tx.execute<RedemptionRow[]>(`select ${COLUMNS} from reward_redemption r where r.id = ?`, [redemptionId]);
      return { redemption: view(after!), balance: await balanceOf(tx, memberId) };
    });
  }

  /** The member's redemptions, newest first. */
  async list(memberId: string, first: number): Promise<RewardRedemptionView[]> {
    const rows = await this.em.execute<RedemptionRow[]>(`select ${COLUMNS} from reward_redemption r where r.member_id = ? order by r.redeemed_at desc, r.created_at desc limit ?`, [
      memberId,
      first,
    ]);
    return rows.map(view);
  }
}

async function balanceOf(tx: EntityManager, memberId: string): Promise<number> {
  const [account] = await tx.execute<{ balance: string }[]>(`select balance from points_account where id = ?`, [memberAccount(memberId)]);
  return Number(account?.balance ?? 0);
}

/** An erased member's redemptions keep no key their app chose (it may carry anything): replaced, still unique per member. */
export async function forgetRewardKeys(tx: EntityManager, memberId: string): Promise<void> {
  await tx.execute(`update reward_redemption set idempotency_key = 'erased:' || id where member_id = ?`, [memberId]);
}
