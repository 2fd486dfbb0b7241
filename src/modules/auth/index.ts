export { Authenticator, CHANNEL_KEY_PREFIX, hashApiKey, IdentityTokenVerifier, PARTNER_KEY_PREFIX } from './authenticator.js';
export type { AuthenticatorOptions, TrustedIssuer } from './authenticator.js';
export { DevIssuer, DEV_ISSUER } from './dev-issuer.js';
