import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { takeQuota } from '../entitlement/index.js';
import { pgTextArray } from '../../platform/sql.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import type { Logger } from '../../platform/logger.js';
import { VoucherError } from './voucher.errors.js';

/** Most codes one upload call takes; the upload CLI sends bigger files in chunks of this. */
export const MAX_CODES_PER_UPLOAD = 5000;
const CODE_FORMAT = /^[A-Za-z0-9_-]{4,64}$/;

export interface VoucherUploadReport {
  batchId: string;
  received: number;
  accepted: number;
  /** Codes already in the pool (or repeated in this upload): never stored twice. */
  duplicates: number;
  /** Up to 20 of them, to show the partner. */
  duplicateSamples: string[];
  /** Unclaimed codes in the pool after the upload. */
  available: number;
}

export interface VoucherPoolStatus {
  benefitCode: string;
  available: number;
  claimed: number;
  lowWatermark: number;
  low: boolean;
}

export interface ClaimedVoucher {
  code: string;
  partnerId: string;
  entitlementId: string;
  claimedAt: Date;
}

export interface VoucherServiceOptions {
  /** Below this many unclaimed codes a pool is low and the partner is alerted. @default 50 */
  lowWatermark?: number;
  logger?: Logger;
  now?: () => Date;
}

/**
 * Voucher pools: partners upload codes in bulk (duplicates refused, reported), members
 * claim one per use of a VOUCHER entitlement. A claim takes the quota and the oldest free
 * code in one transaction, the code row locked with SKIP LOCKED so concurrent claims never
 * wait on or receive the same code; an empty pool is VOUCHER_POOL_EMPTY and takes nothing.
 */
export class VoucherService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: VoucherServiceOptions = {},
  ) {}

  private get lowWatermark(): number {
    return this.options.lowWatermark ?? 50;
  }

  async upload(partnerId: string, benefitCode: string, codes: string[]): Promise<VoucherUploadReport> {
    const malformed = codes.filter((c) => !CODE_FORMAT.test(c));
    new InputValidator()
      .check(codes.length > 0, 'codes', 'must not be empty')
      .check(codes.length <= MAX_CODES_PER_UPLOAD, 'codes', `at most ${MAX_CODES_PER_UPLOAD} per upload (send bigger files in chunks)`)
      .check(malformed.length === 0, 'codes', `4-64 letters, digits, - or _; refused: ${malformed.slice(0, 5).join(', ')}`)
      .throwIfInvalid();
    const benefitId = await this.ownVoucherBenefit(partnerId, benefitCode);
    const batchId = randomUUID();
    const unique = [...new Set(codes)];
    const inserted = await this.em.execute<{ code: string }[]>(
      `insert into voucher_code (id, partner_id, benefit_id, code, batch_id)
       select gen_random_uuid(), ?, ?, c, ? from unnest(?::text[]) as c
       on conflict (partner_id, code) do nothing
       returning code`,
      [partnerId, benefitId, batchId, pgTextArray(unique)],
    );
    const accepted = new Set(inserted.map((r) => r.code));
    const duplicateSamples = [...new Set(codes.filter((c, i) => !accepted.has(c) || codes.indexOf(c) !== i))].slice(0, 20);
    return {
      batchId,
      received: codes.length,
      accepted: accepted.size,
      duplicates: codes.length - accepted.size,
      duplicateSamples,
      available: (await this.poolCounts(benefitId)).available,
    };
  }

  async status(partnerId: string, benefitCode: string): Promise<VoucherPoolStatus> {
    const benefitId = await this.ownVoucherBenefit(partnerId, benefitCode);
    const counts = await this.poolCounts(benefitId);
    return { benefitCode, ...counts, lowWatermark: this.lowWatermark, low: counts.available < this.lowWatermark };
  }

  /** A member claims the next code for one use of their VOUCHER entitlement. */
  async claim(memberId: string, entitlementId: string): Promise<ClaimedVoucher> {
    const now = this.options.now?.() ?? new Date();
    const [entitlement] = isUuid(entitlementId)
      ? await this.em.execute<{ benefit_id: string; kind: string; partner_id: string; code: string }[]>(
          `select e.benefit_id, b.kind, b.partner_id, b.code from entitlement e join benefit b on b.id = e.benefit_id
           where e.id = ? and e.member_id = ?`,
          [entitlementId, memberId],
        )
      : [];
    if (!entitlement) throw AppError.notFound('Entitlement', entitlementId);
    if (entitlement.kind !== 'VOUCHER') throw AppError.badInput([{ field: 'entitlementId', message: 'is not a voucher benefit' }]);

    const claimed = await this.em.transactional(async (tx) => {
      await takeQuota(tx, { id: entitlementId, memberId }, 1, now);
      const [code] = await tx.execute<{ code: string; claimed_at: Date }[]>(
        `update voucher_code set claimed_at = ?, entitlement_id = ?, member_id = ?
         where id = (
           select id from voucher_code where benefit_id = ? and claimed_at is null
           order by uploaded_at, id limit 1 for update skip locked)
         returning code, claimed_at`,
        [now, entitlementId, memberId, entitlement.benefit_id],
      );
      if (!code) throw VoucherError.poolEmpty(entitlement.code);
      return { code: code.code, partnerId: entitlement.partner_id, entitlementId, claimedAt: new Date(code.claimed_at) };
    });
    await this.alertIfLow(entitlement.partner_id, entitlement.benefit_id, entitlement.code);
    return claimed;
  }

  private async alertIfLow(partnerId: string, benefitId: string, benefitCode: string): Promise<void> {
    // Counted up to the watermark through the index of available codes: every claim pays for at
    // most that many rows, never for the codes claimed before (millions at a million members).
    const available = await this.availableUpTo(benefitId, this.lowWatermark);
    // Alert on the crossing and at every tenth of the watermark below it, not on every claim.
    const step = Math.max(1, Math.floor(this.lowWatermark / 10));
    if (available < this.lowWatermark && available % step === 0) {
      this.options.logger?.warn({ partner: partnerId, benefit: benefitCode, available, lowWatermark: this.lowWatermark }, 'voucher pool running low');
    }
  }

  /** Codes of the benefit still available, counted up to `limit`. */
  private async availableUpTo(benefitId: string, limit: number): Promise<number> {
    const [row] = await this.em.execute<{ n: number }[]>(
      `select count(*)::int as n from (select 1 from voucher_code where benefit_id = ? and claimed_at is null order by uploaded_at, id limit ?) available`,
      [benefitId, limit],
    );
    return row?.n ?? 0;
  }

  private async poolCounts(benefitId: string): Promise<{ available: number; claimed: number }> {
    const [row] = await this.em.execute<{ available: number; claimed: number }[]>(
      `select count(*) filter (where claimed_at is null)::int as available, count(claimed_at)::int as claimed
       from voucher_code where benefit_id = ?`,
      [benefitId],
    );
    return row ?? { available: 0, claimed: 0 };
  }

  private async ownVoucherBenefit(partnerId: string, benefitCode: string): Promise<string> {
    const [benefit] = await this.em.execute<{ id: string; kind: string }[]>(
      `select id, kind from benefit where code = ? and partner_id = ?`,
      [benefitCode, partnerId],
    );
    if (!benefit) throw AppError.notFound('Benefit', benefitCode);
    if (benefit.kind !== 'VOUCHER') throw AppError.badInput([{ field: 'benefitCode', message: 'is not a voucher benefit' }]);
    return benefit.id;
  }
}
