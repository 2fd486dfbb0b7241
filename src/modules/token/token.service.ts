import type { EntityManager } from '@mikro-orm/postgresql';
import type { MemberClocks } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import type { Statement } from '../../platform/sql.js';
import { Benefit, catalogBenefits } from '../bundle/index.js';
import { catalogVersionOf } from '../../platform/catalog-cache.js';
import {
  ENTITLEMENT_VIEW_COLUMNS,
  EntitlementError,
  entitlementView,
  isUsableAt,
  remainingOf,
  type Entitlement,
  type EntitlementRow,
  type EntitlementService,
  type EntitlementView,
} from '../entitlement/index.js';
import type { EntitlementTokenClaims, EntitlementTokenSigner, EntitlementTokenVerifier } from './entitlement-token.js';
import { TokenError } from './token.errors.js';
import type { MemberPseudonymizer } from '../keys/index.js';
import { type StatusLists, TokenStatus } from '../status-list/index.js';

export interface IssuedTokenView {
  token: string;
  expiresAt: Date;
  entitlementId: string;
}

/** Why a genuine, unexpired token cannot be redeemed right now. */
export enum TokenProblem {
  ALREADY_REDEEMED = 'ALREADY_REDEEMED',
  ENTITLEMENT_INACTIVE = 'ENTITLEMENT_INACTIVE',
  QUOTA_EXHAUSTED = 'QUOTA_EXHAUSTED',
}

/** What a partner learns about a token without redeeming it. */
export interface TokenCheckView {
  /** True when redeeming one unit now would succeed (barring a concurrent redemption). */
  valid: boolean;
  alreadyRedeemed: boolean;
  /** Why it is not valid; null when it is. */
  problem: TokenProblem | null;
  entitlement: EntitlementView;
  benefit: Benefit;
  expiresAt: Date;
}

/** A token verified for the calling partner, with the entitlement and benefit it names. */
export interface VerifiedToken {
  claims: EntitlementTokenClaims;
  entitlement: EntitlementView;
  benefit: Benefit;
  /** When it was redeemed; null while it is unused. */
  redeemedAt: Date | null;
  /** "Now" for the token's member (their test clock's time when they are on one). */
  now: Date;
}

export interface TokenServiceOptions {
  entitlements: EntitlementService;
  signer: EntitlementTokenSigner;
  verifier: EntitlementTokenVerifier;
  pseudonyms: MemberPseudonymizer;
  statusLists: StatusLists;
  now?: () => Date;
  /** Members' test clocks: a partner checks and redeems a member's token at the member's time. */
  memberClocks?: MemberClocks;
}

const MAX_TOKEN_LENGTH = 8192;

/**
 * The lifecycle of an entitlement token, in one place: issued to a member for one
 * presentation (signed, recorded with its status-list entry), checked by its partner,
 * consumed once by a redemption, and revoked through its status list when its right stops
 * being usable (the database flips the entry, see the entitlement's trigger).
 */
export class TokenService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: TokenServiceOptions,
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** "Now" for the member a partner's token is about: their test clock's time when they are on one. */
  private async nowFor(memberId: string): Promise<Date> {
    const clock = await this.options.memberClocks?.of(this.em, memberId);
    return clock?.now ?? this.now();
  }

  /** A fresh token for one presentation of the member's entitlement to its partner. */
  async issue(memberId: string, entitlementId: string): Promise<IssuedTokenView> {
    const { entitlements, signer, pseudonyms, statusLists } = this.options;
    const entitlement = await entitlements.getOwned(memberId, entitlementId);
    const benefit = await this.em.findOneOrFail(Benefit, { id: entitlement.benefit.id });
    const partnerId = benefit.partner.id;
    const subject = pseudonyms.forPartner(memberId, partnerId);
    const issued = await this.em.transactional(async (tx) => {
      // Held until the token is recorded: a revocation committing meanwhile would miss the
      // new token, leaving its status-list entry VALID. This lock makes it wait, then flip it.
      const [current] = await tx.execute<Array<Pick<Entitlement, 'status' | 'quota' | 'used'> & { period_start: Date; period_end: Date }>>(
        'select status, period_start, period_end, quota, used from entitlement where id = ? for share',
        [entitlement.id],
      );
      entitlements.assertUsable({ status: current!.status, periodStart: current!.period_start, periodEnd: current!.period_end });
      if (remainingOf(current!) === 0) throw EntitlementError.quotaExhausted(0, 1);
      // The token names its status-list entry, so it is signed for a candidate entry and
      // recorded only if that entry is still free (the unique index decides).
      return statusLists.reserve(tx, partnerId, async (entry) => {
        const token = await signer.sign({ partnerId, subject, entitlementId: entitlement.id, benefitCode: benefit.code, status: entry.claim });
        const recorded = await tx.execute<{ jti: string }[]>(
          `insert into issued_token (jti, entitlement_id, member_id, partner_id, kid, issued_at, expires_at, status_list_ordinal, status_idx)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?)
           on conflict do nothing
           returning jti`,
          [token.jti, entitlement.id, entitlement.member.id, partnerId, token.kid, new Date(token.claims.iat * 1000), token.expiresAt, entry.ordinal, entry.idx],
        );
        return recorded.length > 0 ? token : null;
      });
    });
    return { token: issued.token, expiresAt: issued.expiresAt, entitlementId: entitlement.id };
  }

  /**
   * The one way a partner's token is turned into an entitlement: verified for this partner
   * (`aud`), naming an entitlement of this partner's benefit as it was issued; TOKEN_INVALID,
   * TOKEN_EXPIRED or TOKEN_REVOKED otherwise.
   */
  async verifyForPartner(partnerId: string, token: string): Promise<VerifiedToken> {
    checkTokenInput(new InputValidator(), token).throwIfInvalid();
    const claims = await this.options.verifier.verify(token, partnerId);
    // The catalog's version (for the benefit below) goes in the same round trip as this read.
    void catalogVersionOf(this.em);
    // One plain statement, one snapshot: the token as issued and its entitlement; the benefit from the catalog this process keeps.
    // The token names no member (partners must not learn it), so on Citus this lookup by jti is
    // the redemption's one statement sent to every shard; the join names the member, so each
    // shard joins its own rows, and everything after it names the member (docs/citus.md).
    const [row] = await this.em.execute<Array<EntitlementRow & { token_status: TokenStatus; redeemed_at: Date | string | null }>>(
      `select t.status as token_status, t.redeemed_at, ${ENTITLEMENT_VIEW_COLUMNS}
         from issued_token t join entitlement e on e.member_id = t.member_id and e.id = t.entitlement_id
        where t.jti = ?`,
      [claims.jti],
    );
    const entitlement = row ? entitlementView(row) : undefined;
    const [benefit] = entitlement ? await catalogBenefits(this.em, [entitlement.benefit.id]) : [];
    // A validly signed token was always recorded for a real entitlement of this partner's
    // benefit; anything else means the token is not ours to honour.
    if (!row || !entitlement || !benefit || entitlement.id !== claims.ent || benefit.partner.id !== partnerId || benefit.code !== claims.ben) {
      throw TokenError.invalid('the token does not match an entitlement of this partner');
    }
    // A right that ended says so (ENTITLEMENT_INACTIVE); a usable right's token whose status
    // list entry was flipped (a suspension since lifted) stays refused.
    const now = await this.nowFor(entitlement.member.id);
    if (isUsableAt(entitlement, now) && row.token_status !== TokenStatus.VALID) throw TokenError.revoked();
    return { claims, entitlement, benefit, redeemedAt: row.redeemed_at === null ? null : new Date(row.redeemed_at), now };
  }

  /**
   * Verifies a token exactly as a redemption does and says whether it could be redeemed
   * now, and how much is left, without consuming anything (the token, the quota).
   */
  async check(partnerId: string, token: string): Promise<TokenCheckView> {
    const { claims, entitlement, benefit, redeemedAt, now } = await this.verifyForPartner(partnerId, token);
    const alreadyRedeemed = redeemedAt !== null;
    const problem = alreadyRedeemed
      ? TokenProblem.ALREADY_REDEEMED
      : !isUsableAt(entitlement, now)
        ? TokenProblem.ENTITLEMENT_INACTIVE
        : remainingOf(entitlement) === 0
          ? TokenProblem.QUOTA_EXHAUSTED
          : null;
    return { valid: problem === null, alreadyRedeemed, problem, entitlement, benefit, expiresAt: new Date(claims.exp * 1000) };
  }
}

/**
 * Consumes a token for good, in the transaction of the redemption that uses it: a token is
 * presented once (ALREADY_REDEEMED after; a concurrent twin waits for the row and then sees
 * it used). A voided redemption leaves its token consumed. Names the token's member as well as
 * its jti (a router query on Citus, docs/citus.md). The statement answers one row when it
 * consumed the token, none when it was already used ({@link TokenError.alreadyRedeemed}).
 */
export function consumeTokenStatement(token: { jti: string; memberId: string }, at: Date): Statement {
  return {
    sql: 'update issued_token set redeemed_at = ? where member_id = ? and jti = ? and redeemed_at is null returning jti',
    params: [at, token.memberId, token.jti],
  };
}

/** The checks every token argument gets before any cryptography, added to `validator`. */
export function checkTokenInput(validator: InputValidator, token: string): InputValidator {
  return validator
    .check(token.length > 0, 'token', 'must not be empty')
    .check(token.length <= MAX_TOKEN_LENGTH, 'token', `must be at most ${MAX_TOKEN_LENGTH} characters`);
}
