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
  ENTITLEMENT_TOKEN_TYPE,
  MEMBERSHIP_CARD_TOKEN_TYPE,
  issuerMetadata,
  jwksCacheControl,
  jwksDocument,
  type IssuerMetadata,
  type IssuerMetadataOptions,
} from './well-known.js';
export { revokeSigningKey, rotateSigningKey } from './key-operations.js';
