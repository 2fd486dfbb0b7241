export {
  createEntitlementVerifier,
  ENTITLEMENT_TOKEN_ALGORITHM,
  ENTITLEMENT_TOKEN_TYPE,
  ISSUER_METADATA_PATH,
} from './verifier.js';
export type { EntitlementVerifier, EntitlementVerifierOptions, VerifiedEntitlement } from './verifier.js';
export { EntitlementVerificationError, REJECTION_REASONS } from './errors.js';
export type { EntitlementRejectionReason } from './errors.js';
export { runCli, EXIT_REJECTED, EXIT_USAGE, EXIT_VERIFIED } from './run-cli.js';
export type { CliIo } from './run-cli.js';
