export { Authenticator, hashApiKey, IdentityTokenVerifier, PARTNER_KEY_PREFIX } from './authenticator.js';
export type { AuthenticatorOptions, TrustedIssuer } from './authenticator.js';
export { DevIssuer, DEV_ISSUER } from './dev-issuer.js';
export { ANONYMOUS } from './principal.js';
export type { Principal, PrincipalKind } from './principal.js';
export { requireAdmin, requireMember, requirePartner } from './guards.js';
