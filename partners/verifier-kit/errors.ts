/** Why a token was rejected. Stable codes: match on them, never on the message. */
export type EntitlementRejectionReason =
  | 'MALFORMED'
  | 'ALG_NOT_ALLOWED'
  | 'WRONG_TYPE'
  | 'FORBIDDEN_HEADER'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'MISSING_CLAIM'
  | 'JWKS_UNAVAILABLE'
  | 'REVOKED'
  | 'STATUS_UNAVAILABLE';

/** One sentence per reason, for people reading logs or CLI output. */
export const REJECTION_REASONS: Readonly<Record<EntitlementRejectionReason, string>> = Object.freeze({
  MALFORMED: 'The token is not a compact JWS carrying a JSON claims set.',
  ALG_NOT_ALLOWED: 'The token is not signed with EdDSA, the only accepted algorithm.',
  WRONG_TYPE: 'The token is not an entitlement token (typ must be "entitlement+jwt").',
  FORBIDDEN_HEADER: "The token's header points at keys or extensions we never accept.",
  UNKNOWN_KEY: "The token names no signing key of the issuer's JWKS.",
  BAD_SIGNATURE: 'The signature does not match the token.',
  WRONG_ISSUER: 'The token was not issued by the expected issuer.',
  WRONG_AUDIENCE: 'The token was issued for another partner.',
  EXPIRED: 'The token has expired.',
  NOT_YET_VALID: 'The token is not valid yet (issued in the future).',
  MISSING_CLAIM: 'A required claim is missing or of the wrong type.',
  JWKS_UNAVAILABLE: "The issuer's signing keys could not be fetched; try again later.",
  REVOKED: 'The issuer has revoked or suspended the token (its status list entry is not VALID).',
  STATUS_UNAVAILABLE: "The token's status list could not be fetched or verified; try again later.",
});

/**
 * A token that must not be honoured. `reason` is the stable code; `message` says what was
 * wrong with this token; {@link REJECTION_REASONS} has the generic sentence per code.
 */
export class EntitlementVerificationError extends Error {
  override readonly name = 'EntitlementVerificationError';
  readonly reason: EntitlementRejectionReason;

  constructor(reason: EntitlementRejectionReason, message: string = REJECTION_REASONS[reason], options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
