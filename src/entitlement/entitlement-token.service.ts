import type { EntityManager } from '@mikro-orm/postgresql';
import { Benefit } from '../bundle/bundle.entity.js';
import { AppError } from '../shared/errors.js';
import type { EntitlementTokenSigner, MemberPseudonymizer } from '../token/index.js';
import { IssuedToken } from '../token/issued-token.entity.js';
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
    },
  ) {}

  async issue(memberId: string, entitlementId: string): Promise<IssuedTokenView> {
    const entitlement = await this.deps.entitlements.getOwned(memberId, entitlementId);
    this.deps.entitlements.assertUsable(entitlement);
    const remaining = remainingOf(entitlement);
    if (remaining === 0) throw AppError.quotaExhausted(0, 1);
    const benefit = await this.em.findOneOrFail(Benefit, { id: entitlement.benefit.id });
    const partnerId = benefit.partner.id;
    const issued = await this.deps.signer.sign({
      partnerId,
      subject: this.deps.pseudonyms.forPartner(memberId, partnerId),
      entitlementId: entitlement.id,
      benefitCode: benefit.code,
    });
    this.em.create(IssuedToken, {
      jti: issued.jti,
      entitlement,
      partnerId,
      kid: issued.kid,
      expiresAt: issued.expiresAt,
    });
    await this.em.flush();
    return { token: issued.token, expiresAt: issued.expiresAt, entitlementId: entitlement.id };
  }
}
