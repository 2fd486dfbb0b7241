import { compactVerify, createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose';
import { EntitlementVerificationError } from './errors.js';
import {
  COMPACT_JWS,
  decodeJsonObject,
  isCanonicalBase64url,
  FORBIDDEN_HEADERS,
  isHttpUrl,
  isNumericDate,
  isoDate,
  isPlainObject,
  parseUrl,
  reject,
  show,
} from './internal.js';
import { createStatusListClient, statusListUriProblem, TokenStatus, type StatusListClient, type StatusReference } from './status-list.js';

/** The `typ` header of every entitlement token, compared exactly. */
export const ENTITLEMENT_TOKEN_TYPE = 'entitlement+jwt';
/** The only accepted signing algorithm (Ed25519). */
export const ENTITLEMENT_TOKEN_ALGORITHM = 'EdDSA';
/** Where an issuer publishes its metadata, under its URL. */
export const ISSUER_METADATA_PATH = '/.well-known/entitlement-issuer';

// A real token is ~400 characters; the cap keeps hostile input cheap. Same cap as the issuer.
const MAX_TOKEN_LENGTH = 4096;
const MAX_METADATA_BYTES = 64 * 1024;

/** Options of {@link createEntitlementVerifier}. */
export interface EntitlementVerifierOptions {
  /** The issuer URL, exactly as tokens carry it in `iss` (the gateway's `PUBLIC_URL`). */
  issuer: string;
  /** Your partner id: the only accepted `aud`. */
  audience: string;
  /**
   * The issuer's JWKS URL. When omitted it is read once from
   * `<issuer>/.well-known/entitlement-issuer` (`jwks_uri`).
   */
  jwksUri?: string;
  /** Seconds of clock skew tolerated on `exp`, `iat` and `nbf`. @default 5 */
  clockToleranceSeconds?: number;
  /** How long a fetched JWKS is used before it is fetched again. @default 600_000 (10 minutes) */
  cacheMaxAgeMs?: number;
  /**
   * After a fetch, how long a token with an unknown `kid` is rejected without fetching again
   * (so a flood of made-up kids cannot hammer the issuer). @default 30_000
   */
  jwksCooldownMs?: number;
  /** Timeout of each metadata, JWKS or status list request. @default 5_000 */
  timeoutMs?: number;
  /** The fetch used for metadata, JWKS and status lists (a proxy-aware one, or a stub in tests). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock for `exp`, `iat` and `nbf`, and for status list caching. @default () => new Date() */
  now?: () => Date;
  /**
   * Check a token's entry in the issuer's status list when it names one (`status.status_list`),
   * so revoked and suspended tokens are refused. @default true
   */
  checkStatus?: boolean;
  /**
   * Refuse tokens without a `status` claim (`MISSING_CLAIM`). Tokens issued before status
   * lists have none; set this once they have all expired. Needs `checkStatus`. @default false
   */
  requireStatus?: boolean;
  /**
   * Upper bound on how long a fetched status list is used before asking the issuer again.
   * The list's own `ttl` and the HTTP `max-age` apply when shorter. @default 300_000 (5 minutes)
   */
  statusCacheMaxAgeMs?: number;
}

/** What the kit knows of a verified token's revocation status. */
export type EntitlementStatus =
  /** Its entry in the issuer's status list is 0 (VALID), as of the list's `iat`. */
  | { state: 'VALID'; uri: string; idx: number; listIssuedAt: Date }
  /** It names a status list entry, but `checkStatus: false` skipped the check. */
  | { state: 'NOT_CHECKED'; uri: string; idx: number }
  /** An older token without a `status` claim: no status list can revoke it. */
  | { state: 'NO_STATUS' };

/** What a verified token grants. */
export interface VerifiedEntitlement {
  /** The member's pseudonym for your partner id (`sub`): stable for you, unlinkable elsewhere. */
  memberPseudonym: string;
  /** The entitlement (`ent`). */
  entitlementId: string;
  /** The benefit code (`ben`), e.g. `CAR_WASH`. */
  benefitCode: string;
  /** Unique token id (`jti`); redeeming consumes it. */
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date;
  /** The issuer key that signed it (`kid`). */
  keyId: string;
  /** Its revocation status (`status.status_list`). */
  status: EntitlementStatus;
}

/** Verifies entitlement tokens offline against the issuer's published keys. */
export interface EntitlementVerifier {
  /**
   * Resolves with the token's grant, or rejects with an {@link EntitlementVerificationError}
   * whose `reason` says why. Safe to call concurrently; the JWKS and the status lists are
   * fetched once and cached.
   */
  verify(token: string): Promise<VerifiedEntitlement>;
}

/**
 * Creates a verifier for one issuer and one partner. Configuration mistakes throw a
 * `TypeError` here, at start-up; nothing is fetched until the first `verify`.
 */
export function createEntitlementVerifier(options: EntitlementVerifierOptions): EntitlementVerifier {
  const settings = validateOptions(options);
  let keys: Promise<JWTVerifyGetKey> | undefined;

  // One discovery for all callers; a failed one is forgotten so the next token retries.
  const keySet = (): Promise<JWTVerifyGetKey> => {
    keys ??= resolveJwksUri(settings).then(
      (url) =>
        createRemoteJWKSet(url, {
          cacheMaxAge: settings.cacheMaxAgeMs,
          cooldownDuration: settings.jwksCooldownMs,
          timeoutDuration: settings.timeoutMs,
          ...(settings.fetch ? { [customFetch]: settings.fetch } : {}),
        }),
      (error: unknown) => {
        keys = undefined;
        throw error;
      },
    );
    return keys;
  };

  const statusLists = createStatusListClient({
    issuer: settings.issuer,
    keys: keySet,
    clockToleranceSeconds: settings.clockToleranceSeconds,
    cacheMaxAgeMs: settings.statusCacheMaxAgeMs,
    timeoutMs: settings.timeoutMs,
    fetch: settings.fetch,
    now: settings.now,
  });

  return {
    async verify(token: string): Promise<VerifiedEntitlement> {
      assertCompactJws(token);
      const header = checkHeader(decodeHeader(token));
      const jwks = await keySet();
      const { payload } = await verifySignature(token, jwks);
      const { grant, reference } = checkClaims(parseClaims(payload), header.kid, settings);
      return { ...grant, status: await checkStatus(reference, settings, statusLists) };
    },
  };
}

interface Settings {
  issuer: string;
  audience: string;
  jwksUri: URL | undefined;
  clockToleranceSeconds: number;
  cacheMaxAgeMs: number;
  jwksCooldownMs: number;
  timeoutMs: number;
  fetch: typeof fetch | undefined;
  now: () => Date;
  checkStatus: boolean;
  requireStatus: boolean;
  statusCacheMaxAgeMs: number;
}

function validateOptions(options: EntitlementVerifierOptions): Settings {
  if (!options || typeof options !== 'object') throw new TypeError('createEntitlementVerifier needs an options object');
  const { issuer, audience, jwksUri } = options;
  if (typeof issuer !== 'string' || !isHttpUrl(issuer)) {
    throw new TypeError(`issuer must be the issuer's http(s) URL, exactly as in the tokens' "iss", got ${show(issuer)}`);
  }
  if (typeof audience !== 'string' || audience === '') {
    throw new TypeError(`audience must be your partner id (a non-empty string), got ${show(audience)}`);
  }
  if (jwksUri !== undefined && (typeof jwksUri !== 'string' || !isHttpUrl(jwksUri))) {
    throw new TypeError(`jwksUri must be an http(s) URL when given, got ${show(jwksUri)}`);
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('fetch must be a function when given');
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function when given');
  const checkStatus = flag('checkStatus', options.checkStatus, true);
  const requireStatus = flag('requireStatus', options.requireStatus, false);
  if (requireStatus && !checkStatus) throw new TypeError('requireStatus needs checkStatus: a status that is required must be checked');
  return {
    issuer,
    audience,
    jwksUri: jwksUri === undefined ? undefined : new URL(jwksUri),
    clockToleranceSeconds: nonNegative('clockToleranceSeconds', options.clockToleranceSeconds, 5),
    cacheMaxAgeMs: nonNegative('cacheMaxAgeMs', options.cacheMaxAgeMs, 10 * 60_000),
    jwksCooldownMs: nonNegative('jwksCooldownMs', options.jwksCooldownMs, 30_000),
    timeoutMs: Math.floor(nonNegative('timeoutMs', options.timeoutMs, 5_000)),
    fetch: options.fetch,
    now: options.now ?? (() => new Date()),
    checkStatus,
    requireStatus,
    statusCacheMaxAgeMs: nonNegative('statusCacheMaxAgeMs', options.statusCacheMaxAgeMs, 5 * 60_000),
  };
}

function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false when given, got ${show(value)}`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative number, got ${show(value)}`);
  }
  return value;
}

function assertCompactJws(token: unknown): asserts token is string {
  if (typeof token !== 'string' || token === '') throw reject('MALFORMED', 'the token is empty');
  if (token.length > MAX_TOKEN_LENGTH) throw reject('MALFORMED', `the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  if (!COMPACT_JWS.test(token)) {
    if (token.trimStart().startsWith('{')) throw reject('MALFORMED', 'expected a compact JWS, got a JSON serialization');
    if (token.split('.').length === 5) throw reject('MALFORMED', 'expected a compact JWS, got an encrypted token (JWE)');
    throw reject('MALFORMED', 'expected a compact JWS: three base64url parts separated by dots');
  }
  // Base64url leaves spare bits in a part's last character; only the canonical spelling is
  // accepted, so no two strings carry the same signature.
  for (const part of token.split('.')) {
    if (!isCanonicalBase64url(part)) {
      throw reject('MALFORMED', 'a part of the token is not canonical base64url');
    }
  }
}

function decodeHeader(token: string): ProtectedHeaderParameters {
  const json = decodeJsonObject(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url'));
  if (!json) throw reject('MALFORMED', 'the protected header is not a base64url-encoded JSON object');
  return json as ProtectedHeaderParameters;
}

type CheckedHeader = ProtectedHeaderParameters & { kid: string };

/** Header checks, before any key is looked up or fetched. */
function checkHeader(header: ProtectedHeaderParameters): CheckedHeader {
  for (const name of FORBIDDEN_HEADERS) {
    if (Object.hasOwn(header, name)) {
      throw reject(
        'FORBIDDEN_HEADER',
        name === 'crit'
          ? 'the "crit" header is not accepted: entitlement tokens use no extensions'
          : `the "${name}" header is not accepted: keys come only from the issuer's JWKS`,
      );
    }
  }
  if (header.alg !== ENTITLEMENT_TOKEN_ALGORITHM) {
    throw reject('ALG_NOT_ALLOWED', `alg ${show(header.alg)} is not accepted; only ${ENTITLEMENT_TOKEN_ALGORITHM}`);
  }
  // Exact match: RFC 8725 typing, without jose's case folding or "application/" prefix.
  if (header.typ !== ENTITLEMENT_TOKEN_TYPE) {
    throw reject('WRONG_TYPE', `typ must be "${ENTITLEMENT_TOKEN_TYPE}", got ${show(header.typ)}`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw reject('UNKNOWN_KEY', `the "kid" header must name a key of the issuer, got ${show(header.kid)}`);
  }
  return header as CheckedHeader;
}

async function verifySignature(token: string, jwks: JWTVerifyGetKey): Promise<{ payload: Uint8Array }> {
  // The key lookup's own failures are classified here, so a JWKS outage never reads as a bad token.
  const getKey: JWTVerifyGetKey = async (header, jws) => {
    try {
      return await jwks(header, jws);
    } catch (error) {
      throw keyLookupError(error, header.kid);
    }
  };
  try {
    return await compactVerify(token, getKey, { algorithms: [ENTITLEMENT_TOKEN_ALGORITHM] });
  } catch (error) {
    if (error instanceof EntitlementVerificationError) throw error;
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw reject('BAD_SIGNATURE', 'the signature does not match the header and payload', error);
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      throw reject('ALG_NOT_ALLOWED', `only ${ENTITLEMENT_TOKEN_ALGORITHM} is accepted`, error);
    }
    if (error instanceof errors.JOSEError) throw reject('MALFORMED', `the token is malformed (${error.message})`, error);
    throw error;
  }
}

function keyLookupError(error: unknown, kid: string | undefined): EntitlementVerificationError {
  if (error instanceof EntitlementVerificationError) return error;
  if (error instanceof errors.JWKSNoMatchingKey) {
    return reject('UNKNOWN_KEY', `the issuer's JWKS has no Ed25519 key with kid ${show(kid)}`, error);
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return reject('UNKNOWN_KEY', `the issuer's JWKS has several keys with kid ${show(kid)}`, error);
  }
  if (error instanceof errors.JWKSTimeout) return reject('JWKS_UNAVAILABLE', "timed out fetching the issuer's JWKS", error);
  const detail = error instanceof Error ? error.message : String(error);
  return reject('JWKS_UNAVAILABLE', `the issuer's JWKS could not be fetched or used (${detail})`, error);
}

type Claims = Record<string, unknown>;

function parseClaims(payload: Uint8Array): Claims {
  const claims = decodeJsonObject(payload);
  if (!claims) throw reject('MALFORMED', 'the payload is not a JSON claims set');
  return claims;
}

/** Claim checks on a token whose signature is already proven: issuer, audience, shape, time, status claim. */
function checkClaims(
  claims: Claims,
  kid: string,
  settings: Settings,
): { grant: Omit<VerifiedEntitlement, 'status'>; reference: StatusReference | undefined } {
  const { iss, aud, sub, jti, ent, ben, iat, exp, nbf, status } = claims;
  if (iss !== settings.issuer) {
    throw reject('WRONG_ISSUER', iss === undefined ? 'the "iss" claim is missing' : `iss ${show(iss)} is not ${show(settings.issuer)}`);
  }
  if (aud === undefined) throw reject('WRONG_AUDIENCE', 'the "aud" claim is missing');
  if (typeof aud !== 'string') throw reject('WRONG_AUDIENCE', 'aud must be a single partner id, not a list or another type');
  if (aud !== settings.audience) throw reject('WRONG_AUDIENCE', `the token was issued to ${show(aud)}, not ${show(settings.audience)}`);
  for (const [name, value] of [['sub', sub], ['jti', jti], ['ent', ent], ['ben', ben]] as const) {
    if (value === undefined) throw reject('MISSING_CLAIM', `the "${name}" claim is missing`);
    if (typeof value !== 'string' || value === '') throw reject('MISSING_CLAIM', `the "${name}" claim must be a non-empty string`);
  }
  for (const [name, value] of [['iat', iat], ['exp', exp]] as const) {
    if (value === undefined) throw reject('MISSING_CLAIM', `the "${name}" claim is missing`);
    if (!isNumericDate(value)) throw reject('MISSING_CLAIM', `the "${name}" claim must be a NumericDate (seconds)`);
  }
  if (nbf !== undefined && !isNumericDate(nbf)) throw reject('MALFORMED', 'the "nbf" claim must be a NumericDate (seconds)');
  const issuedAt = iat as number;
  const expiresAt = exp as number;
  if (expiresAt <= issuedAt) throw reject('MALFORMED', 'exp is not after iat');

  // Whole seconds, like jose and the issuer's own verifier: valid while now < exp + tolerance.
  const now = Math.floor(settings.now().getTime() / 1000);
  const tolerance = settings.clockToleranceSeconds;
  if (expiresAt <= now - tolerance) throw reject('EXPIRED', `the token expired at ${isoDate(expiresAt)}`);
  if (issuedAt > now + tolerance) throw reject('NOT_YET_VALID', `the token was issued in the future (iat ${isoDate(issuedAt)})`);
  if (typeof nbf === 'number' && nbf > now + tolerance) throw reject('NOT_YET_VALID', `the token is not valid before ${isoDate(nbf)}`);

  const reference = parseStatusClaim(status, settings);
  return {
    grant: {
      memberPseudonym: sub as string,
      entitlementId: ent as string,
      benefitCode: ben as string,
      tokenId: jti as string,
      issuedAt: new Date(issuedAt * 1000),
      expiresAt: new Date(expiresAt * 1000),
      keyId: kid,
    },
    reference,
  };
}

/** The token's entry in a status list (`status.status_list { idx, uri }`), checked for shape and origin. */
function parseStatusClaim(status: unknown, settings: Settings): StatusReference | undefined {
  if (status === undefined) {
    if (settings.requireStatus) throw reject('MISSING_CLAIM', 'the "status" claim is missing');
    return undefined;
  }
  if (!isPlainObject(status)) throw reject('MALFORMED', 'the "status" claim must be an object');
  const statusList = status.status_list;
  if (!isPlainObject(statusList)) throw reject('MALFORMED', 'the "status" claim must hold a "status_list" object');
  const { idx, uri } = statusList;
  if (typeof idx !== 'number' || !Number.isSafeInteger(idx) || idx < 0) {
    throw reject('MALFORMED', `status_list.idx must be a non-negative integer, got ${show(idx)}`);
  }
  if (typeof uri !== 'string') throw reject('MALFORMED', `status_list.uri must be a string, got ${show(uri)}`);
  // Checked before anything is fetched: a token must not make us request another host.
  const problem = statusListUriProblem(uri, settings.issuer);
  if (problem) throw reject('MALFORMED', `status_list.uri ${show(uri)} ${problem}`);
  return { uri, idx };
}

/** Reads the token's entry in its status list; anything but VALID is refused. */
async function checkStatus(
  reference: StatusReference | undefined,
  settings: Settings,
  statusLists: StatusListClient,
): Promise<EntitlementStatus> {
  if (!reference) return { state: 'NO_STATUS' };
  const { uri, idx } = reference;
  if (!settings.checkStatus) return { state: 'NOT_CHECKED', uri, idx };
  const { value, listIssuedAt } = await statusLists.lookup(reference);
  if (value === TokenStatus.VALID) return { state: 'VALID', uri, idx, listIssuedAt };
  const entry = `entry ${idx} of status list ${new URL(uri).href}`;
  const asOf = `as of ${listIssuedAt.toISOString()}`;
  if (value === TokenStatus.INVALID) throw reject('REVOKED', `the token was revoked (${entry} is INVALID, ${asOf})`);
  if (value === TokenStatus.SUSPENDED) throw reject('REVOKED', `the token is suspended (${entry} is SUSPENDED, ${asOf})`);
  throw reject('REVOKED', `the token's status is ${value}, not VALID (${entry}, ${asOf})`);
}

/** Finds the JWKS: the option, or `jwks_uri` from the issuer's metadata. */
async function resolveJwksUri(settings: Settings): Promise<URL> {
  if (settings.jwksUri) return settings.jwksUri;
  const metadataUrl = `${settings.issuer.replace(/\/+$/, '')}${ISSUER_METADATA_PATH}`;
  const unavailable = (detail: string, cause?: unknown) =>
    reject('JWKS_UNAVAILABLE', `issuer metadata at ${metadataUrl}: ${detail}`, cause);
  let body: unknown;
  try {
    const response = await (settings.fetch ?? fetch)(metadataUrl, {
      method: 'GET',
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw unavailable(`expected 200 OK, got ${response.status}`);
    }
    const text = await response.text();
    if (text.length > MAX_METADATA_BYTES) throw unavailable('the document is too large');
    body = JSON.parse(text);
  } catch (error) {
    if (error instanceof EntitlementVerificationError) throw error;
    throw unavailable(error instanceof Error ? error.message : String(error), error);
  }
  if (!isPlainObject(body)) throw unavailable('not a JSON object');
  // RFC 8414 §3.3: metadata naming another issuer must not be used.
  if (body.issuer !== settings.issuer) throw unavailable(`it names issuer ${show(body.issuer)}, not ${show(settings.issuer)}`);
  const jwksUri = typeof body.jwks_uri === 'string' ? parseUrl(body.jwks_uri) : undefined;
  if (!jwksUri) throw unavailable('jwks_uri is missing or not a URL');
  // Plain http only for an issuer that is itself plain http (local development).
  const allowed = new URL(settings.issuer).protocol === 'https:' ? ['https:'] : ['https:', 'http:'];
  if (!allowed.includes(jwksUri.protocol)) throw unavailable(`jwks_uri must use ${allowed.join(' or ')}, got ${show(body.jwks_uri)}`);
  return jwksUri;
}
