export {
  createEntitlementVerifier,
  ENTITLEMENT_TOKEN_ALGORITHM,
  ENTITLEMENT_TOKEN_TYPE,
  ISSUER_METADATA_PATH,
} from './verifier.js';
export type { EntitlementStatus, EntitlementVerifier, EntitlementVerifierOptions, VerifiedEntitlement } from './verifier.js';
export { EntitlementVerificationError, REJECTION_REASONS } from './errors.js';
export type { EntitlementRejectionReason } from './errors.js';
export {
  decodeStatusList,
  MAX_STATUS_LIST_BYTES,
  STATUS_LIST_MEDIA_TYPE,
  STATUS_LIST_TOKEN_TYPE,
  TokenStatus,
} from './status-list.js';
export type { StatusList, StatusListBits } from './status-list.js';
export { runCli, EXIT_REJECTED, EXIT_USAGE, EXIT_VERIFIED } from './run-cli.js';
export type { CliIo } from './run-cli.js';
