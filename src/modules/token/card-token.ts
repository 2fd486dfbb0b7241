import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { MEMBERSHIP_CARD_TOKEN_TYPE, type SigningKeyStore } from '../keys/index.js';
import { assertCompact, decodeHeader, resolveSigningKey, translateJoseError } from './entitlement-token.js';
import { TokenError } from './token.errors.js';

const ALGORITHM = 'EdDSA';

/**
 * The claims of a membership card token: shown at a partner's till (a QR code), it tells the
 * partner which of its pseudonymous members is there, for a few minutes. Not single-use: the
 * same card earns and burns several times within its lifetime.
 */
export interface MembershipCardClaims {
  iss: string;
  /** The partner whose till it is for. */
  aud: string;
  /** The member's pseudonym for that partner. */
  sub: string;
  /** The card's id: what we recorded it under. */
  jti: string;
  iat: number;
  exp: number;
}

export interface MembershipCardTokensOptions {
  issuer: string;
  keyStore: SigningKeyStore;
  /** Card lifetime in seconds (`CARD_TOKEN_TTL_SECONDS`). */
  ttlSeconds: number;
  /** Seconds of clock skew tolerated. @default 5 */
  clockToleranceSeconds?: number;
  now?: () => Date;
}

/** Signs and verifies membership card tokens with the same keys (and JWKS) as entitlement tokens, under their own `typ`. */
export class MembershipCardTokens {
  private readonly now: () => Date;

  constructor(private readonly options: MembershipCardTokensOptions) {
    if (!options.issuer) throw new TypeError('MembershipCardTokens needs an issuer (PUBLIC_URL)');
    if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) throw new TypeError(`ttlSeconds must be a positive integer (CARD_TOKEN_TTL_SECONDS), got ${options.ttlSeconds}`);
    this.now = options.now ?? (() => new Date());
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  async sign(partnerId: string, subject: string): Promise<{ token: string; claims: MembershipCardClaims; kid: string }> {
    const key = await this.options.keyStore.signingKey();
    const iat = Math.floor(this.now().getTime() / 1000);
    const claims: MembershipCardClaims = { iss: this.options.issuer, aud: partnerId, sub: subject, jti: randomBytes(16).toString('base64url'), iat, exp: iat + this.options.ttlSeconds };
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: MEMBERSHIP_CARD_TOKEN_TYPE }).sign(key.privateKey);
    return { token, claims, kid: key.kid };
  }

  /**
   * Verifies a card for `audience` (the calling partner).
   *
   * @throws AppError `TOKEN_EXPIRED` when it has expired, `TOKEN_INVALID` with the reason for
   *   anything else (form, header, key, signature, issuer, another partner's card).
   */
  async verify(token: string, audience: string): Promise<MembershipCardClaims> {
    // The entitlement token's form and header checks, said of a card.
    let key: CryptoKey;
    try {
      assertCompact(token);
      key = await resolveSigningKey(this.options.keyStore, decodeHeader(token), MEMBERSHIP_CARD_TOKEN_TYPE);
    } catch (error) {
      throw asCardError(error);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        typ: MEMBERSHIP_CARD_TOKEN_TYPE,
        issuer: this.options.issuer,
        audience,
        requiredClaims: ['iss', 'aud', 'sub', 'jti', 'iat', 'exp'],
        currentDate: this.now(),
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
      }));
    } catch (error) {
      throw asCardError(translateJoseError(error));
    }
    const { sub, jti, iat, exp, aud } = payload;
    if (typeof aud !== 'string') throw TokenError.invalidCard('aud must be a single partner id, not an array');
    if (typeof sub !== 'string' || !sub || typeof jti !== 'string' || !jti) throw TokenError.invalidCard('the "sub" and "jti" claims must be non-empty strings');
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat) throw TokenError.invalidCard('the "iat" and "exp" claims must be numbers, exp after iat');
    return { iss: this.options.issuer, aud, sub, jti, iat, exp };
  }
}

/** The entitlement-token wording of a shared check, said of a card. */
function asCardError(error: unknown): unknown {
  if (!(error instanceof TokenError)) return error;
  if (error.code === 'TOKEN_EXPIRED') return TokenError.expiredCard();
  return TokenError.invalidCard(error.message.replace(/^Invalid entitlement token: /, ''));
}
