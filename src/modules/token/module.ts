import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import type { EntitlementTokenSigner, EntitlementTokenVerifier } from './entitlement-token.js';
import { IssuedToken } from './issued-token.entity.js';
import { TokenResolver } from './token.resolver.js';
import { TokenService } from './token.service.js';
import type { MemberPseudonymizer } from '../keys/index.js';
import type { StatusLists } from '../status-list/index.js';

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
  entities: [IssuedToken],
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
        ...(deps.memberClocks ? { memberClocks: deps.memberClocks } : {}),
        ...clockOf(deps),
      }),
  },
});
