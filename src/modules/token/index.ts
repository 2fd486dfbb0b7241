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
export { AesGcmKeyEncryption, type KeyEncryption, type SealedPrivateKey } from './key-encryption.js';
export {
  FileSigningKeyStore,
  type FileSigningKeyStoreOptions,
  type KeyStatus,
  type RevokeOptions,
  type RevokeResult,
  type RotateOptions,
  type ScheduledKey,
  type SigningKey,
  type SigningKeyStore,
} from './signing-key-store.js';
export {
  issuerMetadata,
  jwksCacheControl,
  jwksDocument,
  type IssuerMetadata,
  type IssuerMetadataOptions,
} from './well-known.js';
export {
  encodeStatusList,
  STATUS_LIST_MEDIA_TYPE,
  STATUS_LIST_TOKEN_TYPE,
  StatusListTokenSigner,
  TokenStatus,
  type StatusClaim,
  type StatusListClaim,
  type StatusListTokenInput,
} from './status-list.js';
export { StatusList, type StatusListState } from './status-list.entity.js';
export { StatusLists, type PublishedStatusList, type StatusEntry, type StatusListsOptions } from './status-list.service.js';
export { revokeSigningKey, rotateSigningKey } from './key-operations.js';
export { TokenError } from './token.errors.js';
export { checkTokenInput, consumeToken, TokenProblem, TokenService } from './token.service.js';
export type { IssuedTokenView, TokenCheckView, TokenServiceOptions, VerifiedToken } from './token.service.js';
