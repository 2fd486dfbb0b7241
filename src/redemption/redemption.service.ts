import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Benefit } from '../bundle/bundle.entity.js';
import { Entitlement, EntitlementStatus } from '../entitlement/entitlement.entity.js';
import { remainingOf } from '../entitlement/entitlement.service.js';
import { uniqueViolation } from '../shared/db.js';
import { AppError, InputValidator } from '../shared/errors.js';
import { isUuid } from '../shared/loader.js';
import type { EntitlementTokenVerifier } from '../token/index.js';
import { Redemption } from './redemption.entity.js';

export interface RedeemInput {
  token: string;
  idempotencyKey: string;
  units: number;
}

const MAX_KEY_LENGTH = 200;
const MAX_TOKEN_LENGTH = 8192;
const MAX_UNITS = 1000;

/**
 * Partners redeem entitlement tokens here. A redemption is exactly-once on every axis:
 * the token's `jti` is consumed (ALREADY_REDEEMED after), the quota is taken in one
 * conditional UPDATE (never exceeded, whatever the concurrency), and the partner's
 * idempotency key returns the first result for the same request.
 */
export class RedemptionService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: { verifier: EntitlementTokenVerifier; now?: () => Date },
  ) {}

  async redeem(partnerId: string, input: RedeemInput): Promise<Redemption> {
    new InputValidator()
      .check(input.token.length > 0, 'token', 'must not be empty')
      .check(input.token.length <= MAX_TOKEN_LENGTH, 'token', `must be at most ${MAX_TOKEN_LENGTH} characters`)
      .check(input.idempotencyKey.trim().length > 0, 'idempotencyKey', 'must not be empty')
      .check(input.idempotencyKey.length <= MAX_KEY_LENGTH, 'idempotencyKey', `must be at most ${MAX_KEY_LENGTH} characters`)
      .check(Number.isInteger(input.units) && input.units >= 1, 'units', 'must be a positive integer')
      .check(input.units <= MAX_UNITS, 'units', `must be at most ${MAX_UNITS}`)
      .throwIfInvalid();

    const requestHash = createHash('sha256').update(JSON.stringify([input.token, input.units])).digest('hex');
    const replay = await this.replay(this.em, partnerId, input.idempotencyKey, requestHash);
    if (replay) return replay;

    const claims = await this.deps.verifier.verify(input.token, partnerId);
    const entitlement = isUuid(claims.ent) ? await this.em.findOne(Entitlement, { id: claims.ent }) : null;
    const benefit = entitlement ? await this.em.findOne(Benefit, { id: entitlement.benefit.id }) : null;
    // A validly signed token always names a real entitlement of this partner's benefit;
    // anything else means the token is not ours to honour.
    if (!entitlement || !benefit || benefit.partner.id !== partnerId || benefit.code !== claims.ben) {
      throw AppError.tokenInvalid('the token does not match an entitlement of this partner');
    }

    try {
      return await this.em.transactional(async (em) => {
        const redemption = em.create(Redemption, {
          entitlement: em.getReference(Entitlement, entitlement.id),
          partner: partnerId,
          units: input.units,
          tokenJti: claims.jti,
          idempotencyKey: input.idempotencyKey,
          requestHash,
        });
        // The insert claims the jti and the idempotency key first: a concurrent twin waits
        // on the unique index and sees our outcome.
        await em.flush();
        const now = this.deps.now?.() ?? new Date();
        const taken = await em.execute<{ used: number }[]>(
          `update entitlement set used = used + ?
           where id = ? and status = ? and period_start <= ? and period_end > ?
             and (quota is null or used + ? <= quota)
           returning used`,
          [input.units, entitlement.id, EntitlementStatus.ACTIVE, now, now, input.units],
        );
        if (taken.length === 0) {
          const current = await em.findOneOrFail(Entitlement, { id: entitlement.id }, { refresh: true });
          if (current.status !== EntitlementStatus.ACTIVE) throw AppError.entitlementInactive(current.status);
          if (now < current.periodStart || now >= current.periodEnd) throw AppError.entitlementInactive('EXPIRED');
          throw AppError.quotaExhausted(remainingOf(current) ?? 0, input.units);
        }
        entitlement.used = taken[0]!.used;
        return redemption;
      });
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === undefined) throw error;
      // Our twin committed first: same key and request -> its result; else the token was used.
      const winner = await this.replay(this.em.fork(), partnerId, input.idempotencyKey, requestHash);
      if (winner) return winner;
      if (constraint === 'redemption_token_jti_unique') throw AppError.alreadyRedeemed();
      throw error;
    }
  }

  private async replay(em: EntityManager, partnerId: string, idempotencyKey: string, requestHash: string): Promise<Redemption | null> {
    const existing = await em.findOne(Redemption, { partner: partnerId, idempotencyKey });
    if (!existing) return null;
    if (existing.requestHash !== requestHash) throw AppError.idempotencyConflict();
    return existing;
  }
}
