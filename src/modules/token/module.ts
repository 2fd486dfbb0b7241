import { defineModule } from '../../platform/module.js';
import type { EntitlementTokenSigner, EntitlementTokenVerifier } from './entitlement-token.js';
import { IssuedToken } from './issued-token.entity.js';
import type { MemberPseudonymizer } from './pseudonym.js';
import { StatusList } from './status-list.entity.js';
import type { StatusLists } from './status-list.service.js';

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
  }
}

/** Entitlement tokens: signing keys, issued tokens, pseudonyms and status lists. */
export const module = defineModule({
  name: 'token',
  entities: [IssuedToken, StatusList],
  services: { pseudonyms: ({ deps }) => deps.pseudonyms },
});
