import type { EntityManager } from '@mikro-orm/postgresql';
import { Benefit } from '../bundle/bundle.entity.js';
import { AppError } from '../shared/errors.js';
import type { EntitlementTokenSigner, IssuedEntitlementToken, MemberPseudonymizer, StatusLists } from '../token/index.js';
import { remainingOf, type EntitlementService } from './entitlement.service.js';

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
    this.deps.entitlements.assertUsable(entitlement);
    const remaining = remainingOf(entitlement);
    if (remaining === 0) throw AppError.quotaExhausted(0, 1);
    const benefit = await this.em.findOneOrFail(Benefit, { id: entitlement.benefit.id });
    const partnerId = benefit.partner.id;
    const subject = this.deps.pseudonyms.forPartner(memberId, partnerId);
    let issued: IssuedEntitlementToken | undefined;
    // The token names its status-list entry, so it is signed for a candidate entry and
    // recorded only if that entry is still free (the unique index decides).
    await this.deps.statusLists.reserve(this.em, partnerId, async (entry) => {
      issued = await this.deps.signer.sign({
        partnerId,
        subject,
        entitlementId: entitlement.id,
        benefitCode: benefit.code,
        status: entry.claim,
      });
      const recorded = await this.em.execute<{ jti: string }[]>(
        `insert into issued_token (jti, entitlement_id, partner_id, kid, issued_at, expires_at, status_list_ordinal, status_idx)
         values (?, ?, ?, ?, ?, ?, ?, ?)
         on conflict do nothing
         returning jti`,
        [issued.jti, entitlement.id, partnerId, issued.kid, new Date(issued.claims.iat * 1000), issued.expiresAt, entry.ordinal, entry.idx],
      );
      return recorded.length > 0;
    });
    if (!issued) throw new Error('status list reservation returned without a token');
    return { token: issued.token, expiresAt: issued.expiresAt, entitlementId: entitlement.id };
  }
}
