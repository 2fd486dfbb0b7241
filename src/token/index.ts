export {
  ENTITLEMENT_TOKEN_TYPE,
  EntitlementTokenSigner,
  EntitlementTokenVerifier,
  type EntitlementTokenClaims,
  type EntitlementTokenInput,
  type EntitlementTokenSignerOptions,
  type EntitlementTokenVerifierOptions,
  type IssuedEntitlementToken,
} from './entitlement-token.js';
export { IssuedToken } from './issued-token.entity.js';
export { loadPseudonymSecret, MemberPseudonymizer, type PseudonymSecretOptions } from './pseudonym.js';
export { FileSigningKeyStore, type SigningKey, type SigningKeyStore } from './signing-key-store.js';
export {
  issuerMetadata,
  jwksDocument,
  type IssuerMetadata,
  type IssuerMetadataOptions,
} from './well-known.js';
