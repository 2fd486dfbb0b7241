import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { AppError } from '../../platform/errors.js';
import { TokenError } from './token.errors.js';
import type { SigningKeyStore } from '../keys/index.js';
import type { StatusClaim } from '../status-list/index.js';
import { ENTITLEMENT_TOKEN_TYPE } from '../keys/index.js';


const ALGORITHM = 'EdDSA';
// Far above a real token (~400 characters); keeps hostile input from costing us work.
const MAX_TOKEN_LENGTH = 4096;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// Headers that carry or point at a key: we trust only keys from our own store.
const KEY_SOURCE_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/** The claims of an entitlement token, all required. */
export interface EntitlementTokenClaims {
  /** The issuer URL (`PUBLIC_URL`). */
  iss: string;
  /** The partner id the token is for; a single string. */
  aud: string;
  /** The member's pseudonym for this partner. */
  sub: string;
  /** Unique token id; redeeming consumes it. */
  jti: string;
  iat: number;
  exp: number;
  /** Entitlement id. */
  ent: string;
  /** Benefit code. */
  ben: string;
  /** Where the token's revocation status is published (IETF Token Status List). */
  status?: StatusClaim;
}

/** A freshly signed token and what the issuer records about it. */
export interface IssuedEntitlementToken {
  /** Compact JWS. */
  token: string;
  jti: string;
  kid: string;
  expiresAt: Date;
  claims: EntitlementTokenClaims;
}

/** Options of {@link EntitlementTokenSigner}. */
export interface EntitlementTokenSignerOptions {
  /** The `iss` claim: the issuer URL. */
  issuer: string;
  keyStore: SigningKeyStore;
  /** Token lifetime in seconds (`TOKEN_TTL_SECONDS`). */
  ttlSeconds: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** What a token is about. */
export interface EntitlementTokenInput {
  /** The partner that will redeem it: the `aud` claim. */
  partnerId: string;
  /** The member's pseudonym for that partner: the `sub` claim. */
  subject: string;
  entitlementId: string;
  benefitCode: string;
  /** Its entry in the partner's status list (the `status` claim). */
  status?: StatusClaim;
}

/** Signs entitlement tokens with the store's current key. */
export class EntitlementTokenSigner {
  private readonly issuer: string;
  private readonly keyStore: SigningKeyStore;
  private readonly ttlSeconds: number;
  private readonly now: () => Date;

  constructor(options: EntitlementTokenSignerOptions) {
    if (!options.issuer) throw new TypeError('EntitlementTokenSigner needs an issuer (PUBLIC_URL)');
    if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
      throw new TypeError(`ttlSeconds must be a positive integer (TOKEN_TTL_SECONDS), got ${options.ttlSeconds}`);
    }
    this.issuer = options.issuer;
    this.keyStore = options.keyStore;
    this.ttlSeconds = options.ttlSeconds;
    this.now = options.now ?? (() => new Date());
  }

  async sign(input: EntitlementTokenInput): Promise<IssuedEntitlementToken> {
    for (const field of ['partnerId', 'subject', 'entitlementId', 'benefitCode'] as const) {
      if (typeof input[field] !== 'string' || input[field] === '') {
        throw new TypeError(`EntitlementTokenSigner.sign: ${field} must be a non-empty string`);
      }
    }
    const key = await this.keyStore.signingKey();
    const iat = Math.floor(this.now().getTime() / 1000);
    const claims: EntitlementTokenClaims = {
      iss: this.issuer,
      aud: input.partnerId,
      sub: input.subject,
      jti: randomBytes(16).toString('base64url'),
      iat,
      exp: iat + this.ttlSeconds,
      ent: input.entitlementId,
      ben: input.benefitCode,
      ...(input.status ? { status: input.status } : {}),
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE })
      .sign(key.privateKey);
    return { token, jti: claims.jti, kid: key.kid, expiresAt: new Date(claims.exp * 1000), claims };
  }
}

/** Options of {@link EntitlementTokenVerifier}. */
export interface EntitlementTokenVerifierOptions {
  /** The only accepted `iss`. */
  issuer: string;
  /** The only source of verification keys, looked up by `kid`. */
  keyStore: SigningKeyStore;
  /** Seconds of clock skew tolerated on `exp` and `iat`. @default 5 */
  clockToleranceSeconds?: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** Verifies entitlement tokens we issued, against our own keys only. */
export class EntitlementTokenVerifier {
  private readonly issuer: string;
  private readonly keyStore: SigningKeyStore;
  private readonly clockTolerance: number;
  private readonly now: () => Date;

  constructor(options: EntitlementTokenVerifierOptions) {
    if (!options.issuer) throw new TypeError('EntitlementTokenVerifier needs an issuer (PUBLIC_URL)');
    const tolerance = options.clockToleranceSeconds ?? 5;
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw new TypeError(`clockToleranceSeconds must be a non-negative number, got ${tolerance}`);
    }
    this.issuer = options.issuer;
    this.keyStore = options.keyStore;
    this.clockTolerance = tolerance;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Verifies a compact JWS for `audience` (the calling partner's id).
   *
   * @throws AppError `TOKEN_EXPIRED` when it has expired, `TOKEN_INVALID` (with the reason) for
   *   anything else wrong: form, header, key, signature, issuer, audience or claims.
   */
  async verify(token: string, audience: string): Promise<EntitlementTokenClaims> {
    assertCompact(token);
    const header = decodeHeader(token);
    const key = await resolveSigningKey(this.keyStore, header, ENTITLEMENT_TOKEN_TYPE);
    const currentDate = this.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        typ: ENTITLEMENT_TOKEN_TYPE,
        issuer: this.issuer,
        audience,
        requiredClaims: ['iss', 'aud', 'sub', 'jti', 'iat', 'exp', 'ent', 'ben'],
        currentDate,
        clockTolerance: this.clockTolerance,
      }));
    } catch (error) {
      throw translateJoseError(error);
    }
    return this.checkClaims(payload, currentDate);
  }

  private checkClaims(payload: JWTPayload, currentDate: Date): EntitlementTokenClaims {
    const { iss, aud, sub, jti, iat, exp, ent, ben } = payload;
    // jose accepts an array containing the audience; our tokens name exactly one partner.
    if (typeof aud !== 'string') throw TokenError.invalid('aud must be a single partner id, not an array');
    for (const [name, value] of [['sub', sub], ['jti', jti], ['ent', ent], ['ben', ben]] as const) {
      if (typeof value !== 'string' || value === '') {
        throw TokenError.invalid(`the "${name}" claim must be a non-empty string`);
      }
    }
    if (typeof iat !== 'number' || typeof exp !== 'number') {
      throw TokenError.invalid('the "iat" and "exp" claims must be numbers');
    }
    // jose only checks iat against the clock when maxTokenAge is set; exp alone bounds our tokens.
    if (iat > currentDate.getTime() / 1000 + this.clockTolerance) {
      throw TokenError.invalid('the token was issued in the future (iat)');
    }
    if (exp <= iat) throw TokenError.invalid('exp is not after iat');
    return {
      iss: iss as string,
      aud,
      sub: sub as string,
      jti: jti as string,
      iat,
      exp,
      ent: ent as string,
      ben: ben as string,
    };
  }
}

/**
 * Header checks jose leaves to us or does more loosely, for a token of type `typ` (entitlement
 * tokens, membership cards): the key comes only from our store.
 */
export async function resolveSigningKey(keyStore: SigningKeyStore, header: ProtectedHeaderParameters, typ: string): Promise<CryptoKey> {
  if (header.crit !== undefined) throw TokenError.invalid('the "crit" header is not accepted');
  for (const name of KEY_SOURCE_HEADERS) {
    if (name in header) {
      throw TokenError.invalid(`the "${name}" header is not accepted; keys come only from the issuer's JWKS`);
    }
  }
  if (header.alg !== ALGORITHM) {
    throw TokenError.invalid(`alg ${JSON.stringify(header.alg ?? null)} is not accepted; only ${ALGORITHM}`);
  }
  // Exact match: jose's own typ check ignores case and an "application/" prefix.
  if (header.typ !== typ) {
    throw TokenError.invalid(`typ must be "${typ}", got ${JSON.stringify(header.typ ?? null)}`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw TokenError.invalid('the "kid" header is missing');
  }
  const key = await keyStore.publicKey(header.kid);
  if (!key) throw TokenError.invalid(`unknown signing key (kid "${header.kid}")`);
  return key;
}

/** Refuses anything but a canonical compact JWS of a sane length (`TOKEN_INVALID`). */
export function assertCompact(token: string): void {
  if (typeof token !== 'string' || token === '') throw TokenError.invalid('the token is empty');
  if (token.length > MAX_TOKEN_LENGTH) throw TokenError.invalid(`the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  if (COMPACT_JWS.test(token)) {
    // base64url leaves spare bits in a last character: several spellings decode to the
    // same bytes. Only the canonical one is the token we issued.
    for (const part of token.split('.')) {
      if (Buffer.from(part, 'base64url').toString('base64url') !== part) {
        throw TokenError.invalid('the token is not canonically base64url-encoded');
      }
    }
    return;
  }
  if (token.trimStart().startsWith('{')) {
    throw TokenError.invalid('expected a compact JWS, got a JSON serialization');
  }
  if (token.split('.').length === 5) throw TokenError.invalid('expected a compact JWS, got an encrypted token (JWE)');
  throw TokenError.invalid('expected a compact JWS: three base64url parts separated by dots');
}

export function decodeHeader(token: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw TokenError.invalid('the protected header is not base64url-encoded JSON');
  }
}

/** jose errors to client errors: an expired token is TOKEN_EXPIRED, anything else TOKEN_INVALID. */
export function translateJoseError(error: unknown): Error {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWTExpired) return TokenError.expired();
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud' && error.reason === 'check_failed') {
      return TokenError.invalid('the token was issued to another partner');
    }
    if (error.claim === 'iss' && error.reason === 'check_failed') {
      return TokenError.invalid('the token was not issued by this issuer');
    }
    if (error.reason === 'missing') return TokenError.invalid(`the "${error.claim}" claim is missing`);
    if (error.reason === 'invalid') return TokenError.invalid(`the "${error.claim}" claim has the wrong type`);
    return TokenError.invalid(`the "${error.claim}" claim is not acceptable`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return TokenError.invalid('the signature does not match the header and payload');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return TokenError.invalid(`only ${ALGORITHM} is accepted`);
  if (error instanceof errors.JWTInvalid) return TokenError.invalid('the payload is not a JSON claims set');
  if (error instanceof errors.JOSEError) return TokenError.invalid(`malformed token (${error.code})`);
  // Not about the token (a bug or a broken key): let formatError report it as internal.
  return error instanceof Error ? error : new Error(String(error));
}
