import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntitlementTokenSigner, MemberPseudonymizer, StatusLists } from '../token/index.js';
import type { Entitlement } from './entitlement.entity.js';
import { remainingOf, type EntitlementService } from './entitlement.service.js';
import { EntitlementError } from './entitlement.errors.js';
import { Benefit } from '../bundle/index.js';

export interface IssuedTokenView {
  token: string;
  expiresAt: Date;
  entitlementId: string;
}

/** Issues the signed token a member presents to a partner (one token per presentation). */
export class EntitlementTokenService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: {
      entitlements: EntitlementService;
      signer: EntitlementTokenSigner;
      pseudonyms: MemberPseudonymizer;
      statusLists: StatusLists;
    },
  ) {}

  async issue(memberId: string, entitlementId: string): Promise<IssuedTokenView> {
    const entitlement = await this.deps.entitlements.getOwned(memberId, entitlementId);
    const benefit = await this.em.findOneOrFail(Benefit, { id: entitlement.benefit.id });
    const partnerId = benefit.partner.id;
    const subject = this.deps.pseudonyms.forPartner(memberId, partnerId);
    const issued = await this.em.transactional(async (tx) => {
      // Held until the token is recorded: a revocation committing meanwhile would miss the
      // new token, leaving its status-list entry VALID. This lock makes it wait, then flip it.
      const [current] = await tx.execute<Array<Pick<Entitlement, 'status' | 'quota' | 'used'> & { period_start: Date; period_end: Date }>>(
        'select status, period_start, period_end, quota, used from entitlement where id = ? for share',
        [entitlement.id],
      );
      this.deps.entitlements.assertUsable({ status: current!.status, periodStart: current!.period_start, periodEnd: current!.period_end });
      if (remainingOf(current!) === 0) throw EntitlementError.quotaExhausted(0, 1);
      // The token names its status-list entry, so it is signed for a candidate entry and
      // recorded only if that entry is still free (the unique index decides).
      return this.deps.statusLists.reserve(tx, partnerId, async (entry) => {
        const token = await this.deps.signer.sign({
          partnerId,
          subject,
          entitlementId: entitlement.id,
          benefitCode: benefit.code,
          status: entry.claim,
        });
        const recorded = await tx.execute<{ jti: string }[]>(
          `insert into issued_token (jti, entitlement_id, partner_id, kid, issued_at, expires_at, status_list_ordinal, status_idx)
           values (?, ?, ?, ?, ?, ?, ?, ?)
           on conflict do nothing
           returning jti`,
          [token.jti, entitlement.id, partnerId, token.kid, new Date(token.claims.iat * 1000), token.expiresAt, entry.ordinal, entry.idx],
        );
        return recorded.length > 0 ? token : null;
      });
    });
    return { token: issued.token, expiresAt: issued.expiresAt, entitlementId: entitlement.id };
  }
}
