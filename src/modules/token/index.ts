export {
  EntitlementTokenSigner,
  EntitlementTokenVerifier,
  type EntitlementTokenClaims,
  type EntitlementTokenInput,
  type EntitlementTokenSignerOptions,
  type EntitlementTokenVerifierOptions,
  type IssuedEntitlementToken,
} from './entitlement-token.js';
export { MembershipCardTokens } from './card-token.js';
export type { MembershipCardClaims, MembershipCardTokensOptions } from './card-token.js';
export { IssuedToken } from './issued-token.entity.js';
export { TokenError } from './token.errors.js';
export { checkTokenInput, consumeTokenStatement, TokenProblem, TokenService } from './token.service.js';
export type { IssuedTokenView, TokenCheckView, TokenServiceOptions, VerifiedToken } from './token.service.js';
