import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import type { EntitlementTokenSigner, EntitlementTokenVerifier } from './entitlement-token.js';
import { IssuedToken } from './issued-token.entity.js';
import type { MemberPseudonymizer } from './pseudonym.js';
import { StatusList } from './status-list.entity.js';
import type { StatusLists } from './status-list.service.js';
import { TokenResolver } from './token.resolver.js';
import { TokenService } from './token.service.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    signer: EntitlementTokenSigner;
    verifier: EntitlementTokenVerifier;
    pseudonyms: MemberPseudonymizer;
    /** Partners' token status lists: entries for new tokens. */
    statusLists: StatusLists;
  }
  interface Services {
    /** What partners see instead of a member id. */
    pseudonyms: MemberPseudonymizer;
    tokens: TokenService;
  }
}

/** Entitlement tokens and their whole lifecycle (issue, check, consume, status lists), signing keys and pseudonyms. */
export const module = defineModule({
  name: 'token',
  entities: [IssuedToken, StatusList],
  resolvers: [TokenResolver],
  services: {
    pseudonyms: ({ deps }) => deps.pseudonyms,
    tokens: ({ em, deps, services }) =>
      new TokenService(em, {
        entitlements: services.entitlements,
        signer: deps.signer,
        verifier: deps.verifier,
        pseudonyms: deps.pseudonyms,
        statusLists: deps.statusLists,
        ...clockOf(deps),
      }),
  },
});
