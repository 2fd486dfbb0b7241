import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { memberNow, type MemberClocks } from '../../platform/context.js';
import { AuditLog, auditReason, type AuditContext } from '../audit/index.js';
import { entitlementView, quotaRefusal, returnUnits, takeQuotaStatement, type EntitlementRow, type EntitlementView } from '../entitlement/index.js';
import { uniqueViolation } from '../../platform/sql.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { checkTokenInput, consumeTokenStatement, TokenError, type TokenService } from '../token/index.js';
import { pipelinedTransaction } from '../../platform/db/pipelined-transaction.js';
import { RedemptionVoid } from './redemption-void.entity.js';
import { Redemption } from './redemption.entity.js';
import { RedemptionError } from './redemption.errors.js';

export interface RedeemInput {
  token: string;
  idempotencyKey: string;
  units: number;
}

/** Options of {@link RedemptionService}. */
export interface RedemptionServiceOptions {
  /** Verifies and consumes the tokens partners present. */
  tokens: TokenService;
  /** How long after a redemption its partner may still void it, in seconds (`REDEMPTION_VOID_WINDOW_SECONDS`). @default 900 */
  voidWindowSeconds?: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /** Members' test clocks: a redemption of a member on one happens at the clock's time. */
  memberClocks?: MemberClocks;
}

/** A redemption as the API shows it: the entity, or the same columns written by the till's hot path. */
export type RedemptionView = Pick<Redemption, 'id' | 'memberId' | 'units' | 'tokenJti' | 'idempotencyKey' | 'requestHash' | 'createdAt'> & {
  entitlement: { id: string };
  /** The right as this redemption's quota UPDATE left it (a redemption just made): its answer needs no second read. */
  entitlementAsRedeemed?: EntitlementView;
  partner: { id: string };
};

const DEFAULT_VOID_WINDOW_SECONDS = 900;
const MAX_KEY_LENGTH = 200;
const MAX_UNITS = 1000;
// Thrown inside the transaction when the quota UPDATE took nothing; answered once it rolled back.
const QUOTA_REFUSED = Symbol('quota refused');

/**
 * Partners redeem entitlement tokens here. A redemption is exactly-once on every axis:
 * the token's `jti` is consumed (ALREADY_REDEEMED after), the quota is taken in one
 * conditional UPDATE (never exceeded, whatever the concurrency), and the partner's
 * idempotency key returns the first result for the same request. Partners can also void a
 * mistaken redemption shortly after.
 */
export class RedemptionService {
  private readonly voidWindowSeconds: number;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: RedemptionServiceOptions,
  ) {
    this.voidWindowSeconds = deps.voidWindowSeconds ?? DEFAULT_VOID_WINDOW_SECONDS;
    if (!Number.isInteger(this.voidWindowSeconds) || this.voidWindowSeconds < 0) {
      throw new TypeError(`voidWindowSeconds must be a non-negative integer (REDEMPTION_VOID_WINDOW_SECONDS), got ${deps.voidWindowSeconds}`);
    }
  }

  /** Redeems, and records `redemption.create` in the audit log in the same transaction. */
  async redeem(partnerId: string, input: RedeemInput, audit: AuditContext): Promise<RedemptionView> {
    checkTokenInput(new InputValidator(), input.token)
      .check(input.idempotencyKey.trim().length > 0, 'idempotencyKey', 'must not be empty')
      .check(input.idempotencyKey.length <= MAX_KEY_LENGTH, 'idempotencyKey', `must be at most ${MAX_KEY_LENGTH} characters`)
      .check(Number.isInteger(input.units) && input.units >= 1, 'units', 'must be a positive integer')
      .check(input.units <= MAX_UNITS, 'units', `must be at most ${MAX_UNITS}`)
      .throwIfInvalid();

    const requestHash = createHash('sha256').update(JSON.stringify([input.token, input.units])).digest('hex');
    // The till's hot path: the token is verified first, and a repeated key is looked up only when
    // something refuses the request (a retry after the first attempt used the token, or after it
    // expired, still gets the first result; another request under the same key is a conflict).
    let verified: Awaited<ReturnType<TokenService['verifyForPartner']>>;
    try {
      verified = await this.deps.tokens.verifyForPartner(partnerId, input.token);
    } catch (error) {
      if (error instanceof AppError) {
        const replay = await this.replay(this.em, partnerId, input.idempotencyKey, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
    const { claims, entitlement, now } = verified;

    const id = randomUUID();
    const memberId = entitlement.member.id;
    try {
      // Two round trips (src/platform/db/pipelined-transaction.ts): the writes and the audit
      // chain's lock and head, then the audit row and COMMIT, in the order the statements had
      // one by one. The insert claims the jti and the idempotency key first: a concurrent twin
      // waits on the unique index and sees our outcome. The quota is kept off the entity: a
      // second UPDATE of the row would re-check its foreign keys (KEY SHARE on membership and
      // member) and deadlock with a refund or an erasure.
      return await pipelinedTransaction(this.em, async (tx) => {
        const [, consumed, taken, locked, head] = await tx.send([
          {
            sql: `insert into redemption (id, entitlement_id, member_id, partner_id, units, token_jti, idempotency_key, request_hash, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            params: [id, entitlement.id, memberId, partnerId, input.units, claims.jti, input.idempotencyKey, requestHash, now],
          },
          consumeTokenStatement({ jti: claims.jti, memberId }, now),
          takeQuotaStatement({ id: entitlement.id, memberId }, input.units, now),
          ...AuditLog.lockStatements(),
        ]);
        if (consumed!.length === 0) throw TokenError.alreadyRedeemed();
        if (taken!.length === 0) throw QUOTA_REFUSED;
        const asRedeemed = entitlementView(taken![0] as EntitlementRow);
        const used = asRedeemed.used;
        await tx.send(
          [
            AuditLog.insertStatement(locked!, head!, audit, {
              action: 'redemption.create',
              subject: id,
              before: { entitlement: { id: entitlement.id, used: used - input.units } },
              after: {
                redemption: { id, partnerId, units: input.units, tokenJti: claims.jti, idempotencyKey: input.idempotencyKey },
                entitlement: { id: entitlement.id, used },
              },
            }),
          ],
          { commit: true },
        );
        return {
          id,
          memberId,
          entitlement: { id: entitlement.id },
          entitlementAsRedeemed: asRedeemed,
          partner: { id: partnerId },
          units: input.units,
          tokenJti: claims.jti,
          idempotencyKey: input.idempotencyKey,
          requestHash,
          createdAt: now,
        };
      });
    } catch (error) {
      // Why nothing was taken, read once the transaction (and the chain lock) is gone.
      if (error === QUOTA_REFUSED) throw await quotaRefusal(this.em, { id: entitlement.id, memberId }, input.units, now);
      const constraint = uniqueViolation(error);
      if (constraint === undefined) throw error;
      // Our twin committed first (or this is a retry): same key and request -> its result; else the token was used.
      const winner = await this.replay(this.em.fork(), partnerId, input.idempotencyKey, requestHash);
      if (winner) return winner;
      if (constraint === 'redemption_token_jti_unique') throw TokenError.alreadyRedeemed();
      throw error;
    }
  }

  /**
   * Voids one of the partner's own redemptions within the void window: records a
   * compensating `redemption_void` row and gives the units back to the entitlement, in one
   * transaction with its `redemption.void` audit row. The redemption row is never edited
   * and its token stays consumed.
   *
   * @throws AppError `NOT_FOUND` (unknown or another partner's), `ALREADY_VOIDED`,
   *   `VOID_WINDOW_CLOSED`, `BAD_USER_INPUT` (empty or overlong reason).
   */
  async void(partnerId: string, redemptionId: string, reason: string, audit: AuditContext): Promise<Redemption> {
    const why = auditReason(reason);
    const redemption = isUuid(redemptionId) ? await this.em.findOne(Redemption, { id: redemptionId, partner: partnerId }) : null;
    if (!redemption) throw AppError.notFound('Redemption', redemptionId);
    if ((await this.em.count(RedemptionVoid, { redemption: redemption.id, memberId: redemption.memberId })) > 0) throw RedemptionError.alreadyVoided(redemption.id);
    // On the member's clock, like the redemption's own time.
    const now = await memberNow({ ...(this.deps.now ? { now: this.deps.now } : {}), ...(this.deps.memberClocks ? { memberClocks: this.deps.memberClocks } : {}) }, this.em, redemption.memberId);
    if (now.getTime() - redemption.createdAt.getTime() > this.voidWindowSeconds * 1000) {
      throw RedemptionError.voidWindowClosed(redemption.id, this.voidWindowSeconds);
    }
    try {
      await this.em.transactional(async (em) => {
        em.create(RedemptionVoid, {
          redemption: em.getReference(Redemption, redemption.id),
          memberId: redemption.memberId,
          partner: partnerId,
          reason: why,
          createdAt: now,
        });
        // The insert claims the redemption first: a concurrent void waits on the unique
        // index and fails once we commit, so the units come back exactly once.
        await em.flush();
        const used = await returnUnits(em, { id: redemption.entitlement.id, memberId: redemption.memberId }, redemption.units);
        await AuditLog.append(em, audit, {
          action: 'redemption.void',
          subject: redemption.id,
          before: { redemption: { id: redemption.id, voided: false }, entitlement: { id: redemption.entitlement.id, used: used + redemption.units } },
          after: { redemption: { id: redemption.id, voided: true, reason: why }, entitlement: { id: redemption.entitlement.id, used } },
        });
      });
    } catch (error) {
      if (uniqueViolation(error) === 'redemption_void_redemption_unique') throw RedemptionError.alreadyVoided(redemption.id);
      throw error;
    }
    return redemption;
  }

  private async replay(em: EntityManager, partnerId: string, idempotencyKey: string, requestHash: string): Promise<RedemptionView | null> {
    const existing = await em.findOne(Redemption, { partner: partnerId, idempotencyKey });
    if (!existing) return null;
    if (existing.requestHash !== requestHash) throw AppError.idempotencyConflict();
    return existing;
  }
}

