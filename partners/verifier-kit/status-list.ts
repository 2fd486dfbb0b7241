import { inflate } from 'node:zlib';
import { compactVerify, errors, type JWTVerifyGetKey } from 'jose';
import { EntitlementVerificationError } from './errors.js';
import { COMPACT_JWS, decodeJsonObject, FORBIDDEN_HEADERS, isNumericDate, isoDate, isPlainObject, parseUrl, reject, show } from './internal.js';

// The IETF Token Status List (draft-ietf-oauth-status-list): the issuer publishes, per
// partner, signed compressed arrays of token statuses; each token names its entry in a
// `status.status_list { idx, uri }` claim.

/** The `typ` header of a Status List Token, compared exactly. */
export const STATUS_LIST_TOKEN_TYPE = 'statuslist+jwt';
/** The media type a Status List Token is served with. */
export const STATUS_LIST_MEDIA_TYPE = 'application/statuslist+jwt';
/** Status values (draft §7.1). 3 and 0x0C–0x0F are application-specific; the rest reserved. */
export const TokenStatus = Object.freeze({ VALID: 0, INVALID: 1, SUSPENDED: 2 } as const);
/** A list that inflates to more than this is refused (a zip bomb guard): 16 MiB, 134 million 1-bit entries. */
export const MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024;

/** Bits per entry a list may use. */
export type StatusListBits = 1 | 2 | 4 | 8;
const STATUS_LIST_BITS: readonly number[] = [1, 2, 4, 8];
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// The signed list as served: a sparse 1-million-entry list is a few kilobytes.
const MAX_STATUS_LIST_TOKEN_BYTES = 4 * 1024 * 1024;
// Lists are named by issuer-signed tokens, so there are few; the cap only bounds memory.
const MAX_CACHED_LISTS = 256;
// After a failed refresh the stale copy is served this long before the next attempt, so an
// outage does not cost every verification a timeout.
const STALE_RETRY_MS = 10_000;

/** A decoded status list. */
export interface StatusList {
  bits: StatusListBits;
  /** Number of entries. */
  size: number;
  /** The status value of entry `index`; undefined outside the list. */
  get(index: number): number | undefined;
}

/**
 * Decodes the `status_list` claim of a Status List Token: `lst` is base64url of ZLIB
 * (RFC 1950) compressed bytes; entry `i` is bits `[i·bits mod 8, +bits)` of byte
 * `⌊i·bits / 8⌋`, least significant first. Rejects with `STATUS_UNAVAILABLE` when the claim
 * is not a valid list or inflates to more than `maxBytes`.
 */
export async function decodeStatusList(
  claim: { bits?: unknown; lst?: unknown },
  maxBytes: number = MAX_STATUS_LIST_BYTES,
): Promise<StatusList> {
  const { bits, lst } = claim;
  if (typeof bits !== 'number' || !STATUS_LIST_BITS.includes(bits)) {
    throw reject('STATUS_UNAVAILABLE', `status_list.bits must be 1, 2, 4 or 8, got ${show(bits)}`);
  }
  if (typeof lst !== 'string' || !BASE64URL.test(lst)) {
    throw reject('STATUS_UNAVAILABLE', 'status_list.lst must be a non-empty base64url string');
  }
  let bytes: Buffer;
  try {
    bytes = await inflateAtMost(Buffer.from(lst, 'base64url'), maxBytes);
  } catch (error) {
    const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
    throw reject(
      'STATUS_UNAVAILABLE',
      tooLarge ? `status_list.lst inflates to more than ${maxBytes} bytes` : 'status_list.lst is not ZLIB-compressed data',
      error,
    );
  }
  const size = (bytes.length * 8) / bits;
  const mask = (1 << bits) - 1;
  return {
    bits: bits as StatusListBits,
    size,
    get(index: number): number | undefined {
      if (!Number.isInteger(index) || index < 0 || index >= size) return undefined;
      const bit = index * bits;
      return (bytes[bit >> 3]! >> (bit & 7)) & mask;
    },
  };
}

function inflateAtMost(compressed: Buffer, maxOutputLength: number): Promise<Buffer> {
  // Async: a large list inflates on the thread pool, not on the event loop.
  return new Promise((resolve, fail) => {
    inflate(compressed, { maxOutputLength }, (error, result) => (error ? fail(error) : resolve(result)));
  });
}

/**
 * Why `uri` may not be fetched as the issuer's status list, or undefined when it may: it
 * must be an http(s) URL on the issuer's origin, so a token cannot make us request anything else.
 */
export function statusListUriProblem(uri: string, issuer: string): string | undefined {
  // Every token names its list, and a verifier sees few lists: URL parsing is the costly part
  // of a check that is a pure function of the two strings, so answers are remembered.
  const key = `${issuer}\n${uri}`;
  const known = uriProblems.get(key);
  if (known !== undefined) return known === '' ? undefined : known;
  const problem = uriProblem(uri, issuer);
  if (uriProblems.size >= MAX_REMEMBERED_URIS) uriProblems.delete(uriProblems.keys().next().value!);
  uriProblems.set(key, problem ?? '');
  return problem;
}

const MAX_REMEMBERED_URIS = 1000;
/** Answers of {@link statusListUriProblem} by issuer and uri ('' for none). */
const uriProblems = new Map<string, string>();

function uriProblem(uri: string, issuer: string): string | undefined {
  const url = parseUrl(uri);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return 'is not an http(s) URL';
  if (url.username !== '' || url.password !== '') return 'carries credentials';
  if (url.origin !== new URL(issuer).origin) return `is not on the issuer's origin ${new URL(issuer).origin}`;
  return undefined;
}

/** A token's entry in a status list: its `status.status_list` claim. */
export interface StatusReference {
  uri: string;
  idx: number;
}

/** An entry's value, and the list it was read from. */
export interface StatusLookup {
  value: number;
  /** `iat` of the list read: the status is known as of then. */
  listIssuedAt: Date;
}

/** Settings of {@link createStatusListClient}, already validated by the verifier. */
export interface StatusListClientOptions {
  /** The issuer: lists must come from its origin and carry it as `iss`. */
  issuer: string;
  /** The issuer's JWKS, the same as for entitlement tokens. */
  keys: () => Promise<JWTVerifyGetKey>;
  clockToleranceSeconds: number;
  /** Upper bound on how long a list is used without asking the issuer again. */
  cacheMaxAgeMs: number;
  timeoutMs: number;
  fetch: typeof fetch | undefined;
  now: () => Date;
}

/** Reads token statuses from the issuer's status lists, fetching and caching the lists. */
export interface StatusListClient {
  /** Rejects with `STATUS_UNAVAILABLE` when no valid copy of the list can be had. */
  lookup(reference: StatusReference): Promise<StatusLookup>;
}

interface CachedList {
  list: StatusList;
  /** `iat` and `exp`, seconds. */
  issuedAt: number;
  expiresAt: number;
  ttlSeconds: number | undefined;
  etag: string | undefined;
  /** Until when (ms) it is used without asking the issuer. */
  freshUntil: number;
  /** After a failed refresh: until when (ms) the stale copy is used without trying again. */
  retryAfter: number;
}

type Download =
  | { notModified: true; maxAgeSeconds: number | undefined; etag: string | undefined }
  | { notModified: false; token: string; maxAgeSeconds: number | undefined; etag: string | undefined };

/**
 * Fetches, verifies and caches Status List Tokens. A list is used for its `ttl` (never
 * longer than the HTTP max-age, the configured cap or its `exp`), then revalidated with
 * `If-None-Match`. Concurrent lookups of one list share one request. When a refresh fails,
 * the cached copy is used until its `exp` (fail-stale), never after.
 */
export function createStatusListClient(options: StatusListClientOptions): StatusListClient {
  const cache = new Map<string, CachedList>();
  const inflight = new Map<string, Promise<CachedList>>();
  const nowMs = () => options.now().getTime();
  const tolerance = options.clockToleranceSeconds;
  const usable = (entry: CachedList, now: number) => entry.expiresAt > Math.floor(now / 1000) - tolerance;

  const freshUntil = (now: number, ttlSeconds: number | undefined, maxAgeSeconds: number | undefined, expiresAt: number) => {
    let lifetime = options.cacheMaxAgeMs;
    if (ttlSeconds !== undefined) lifetime = Math.min(lifetime, ttlSeconds * 1000);
    if (maxAgeSeconds !== undefined) lifetime = Math.min(lifetime, maxAgeSeconds * 1000);
    return Math.min(now + lifetime, (expiresAt + tolerance) * 1000);
  };

  const store = (uri: string, entry: CachedList) => {
    cache.delete(uri);
    cache.set(uri, entry);
    // Map order is insertion order: the first key is the least recently stored.
    if (cache.size > MAX_CACHED_LISTS) cache.delete(cache.keys().next().value!);
  };

  async function refresh(uri: string, cached: CachedList | undefined): Promise<CachedList> {
    const revalidate = cached !== undefined && cached.etag !== undefined && usable(cached, nowMs());
    try {
      const download = await fetchList(uri, revalidate ? cached.etag : undefined, options);
      const now = nowMs();
      if (download.notModified) {
        // fetchList accepts a 304 only in answer to our If-None-Match.
        const entry = cached!;
        if (!usable(entry, now)) throw unavailable(uri, `the list expired at ${isoDate(entry.expiresAt)}`);
        entry.etag = download.etag ?? entry.etag;
        entry.freshUntil = freshUntil(now, entry.ttlSeconds, download.maxAgeSeconds, entry.expiresAt);
        entry.retryAfter = 0;
        store(uri, entry);
        return entry;
      }
      const verified = await verifyStatusListToken(download.token, uri, options);
      // A replayed older copy could still say VALID for a token revoked since.
      if (cached && verified.issuedAt < cached.issuedAt) {
        throw unavailable(uri, `the list served (iat ${isoDate(verified.issuedAt)}) is older than the copy already held (iat ${isoDate(cached.issuedAt)})`);
      }
      const entry: CachedList = {
        ...verified,
        etag: download.etag,
        freshUntil: freshUntil(now, verified.ttlSeconds, download.maxAgeSeconds, verified.expiresAt),
        retryAfter: 0,
      };
      store(uri, entry);
      return entry;
    } catch (error) {
      const now = nowMs();
      if (cached && usable(cached, now)) {
        cached.retryAfter = now + STALE_RETRY_MS;
        return cached;
      }
      if (cached) cache.delete(uri);
      throw error instanceof EntitlementVerificationError ? error : unavailable(uri, describeFetchError(error), error);
    }
  }

  function current(uri: string): CachedList | Promise<CachedList> {
    const now = nowMs();
    const cached = cache.get(uri);
    if (cached && (now < cached.freshUntil || (now < cached.retryAfter && usable(cached, now)))) return cached;
    let pending = inflight.get(uri);
    if (!pending) {
      pending = refresh(uri, cached).finally(() => inflight.delete(uri));
      inflight.set(uri, pending);
    }
    return pending;
  }

  return {
    async lookup({ uri, idx }: StatusReference): Promise<StatusLookup> {
      // The verifier refuses such tokens first (MALFORMED); this keeps the client safe on its own.
      const problem = statusListUriProblem(uri, options.issuer);
      if (problem) throw reject('STATUS_UNAVAILABLE', `the status list uri ${show(uri)} ${problem}; it was not fetched`);
      const entry = await current(uri);
      const value = entry.list.get(idx);
      if (value === undefined) throw unavailable(uri, `entry ${idx} is outside the list of ${entry.list.size} entries`);
      return { value, listIssuedAt: new Date(entry.issuedAt * 1000) };
    },
  };
}

async function fetchList(uri: string, etag: string | undefined, options: StatusListClientOptions): Promise<Download> {
  const response = await (options.fetch ?? fetch)(uri, {
    method: 'GET',
    redirect: 'manual',
    headers: { accept: STATUS_LIST_MEDIA_TYPE, ...(etag !== undefined ? { 'if-none-match': etag } : {}) },
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const maxAgeSeconds = freshnessLifetime(response.headers);
  const responseEtag = response.headers.get('etag') ?? undefined;
  if (response.status === 304 && etag !== undefined) {
    await response.body?.cancel().catch(() => undefined);
    return { notModified: true, maxAgeSeconds, etag: responseEtag };
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw unavailable(uri, `expected 200 OK, got ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}`);
  }
  const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== STATUS_LIST_MEDIA_TYPE) {
    await response.body?.cancel().catch(() => undefined);
    throw unavailable(uri, `expected content-type ${STATUS_LIST_MEDIA_TYPE}, got ${show(mediaType)}`);
  }
  const token = await readAtMost(response, MAX_STATUS_LIST_TOKEN_BYTES, uri);
  return { notModified: false, token: token.trim(), maxAgeSeconds, etag: responseEtag };
}

/** Seconds the response may be cached by HTTP rules (RFC 9111): max-age less Age; 0 for no-cache. */
function freshnessLifetime(headers: Headers): number | undefined {
  const directives = (headers.get('cache-control') ?? '').split(',').map((d) => d.trim().toLowerCase());
  if (directives.includes('no-cache') || directives.includes('no-store')) return 0;
  const maxAge = directives.map((d) => /^max-age=(\d+)$/.exec(d)?.[1]).find((v) => v !== undefined);
  if (maxAge === undefined) return undefined;
  const age = Number(headers.get('age') ?? 0);
  return Math.max(0, Number(maxAge) - (Number.isFinite(age) && age > 0 ? age : 0));
}

async function readAtMost(response: Response, maxBytes: number, uri: string): Promise<string> {
  const tooLarge = () => unavailable(uri, `the response is larger than ${maxBytes} bytes`);
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface VerifiedStatusList {
  list: StatusList;
  issuedAt: number;
  expiresAt: number;
  ttlSeconds: number | undefined;
}

/** Every check of a Status List Token (draft §8.3) before any of its entries is believed. */
async function verifyStatusListToken(token: string, uri: string, options: StatusListClientOptions): Promise<VerifiedStatusList> {
  const invalid = (detail: string, cause?: unknown) => unavailable(uri, detail, cause);
  if (!COMPACT_JWS.test(token)) throw invalid('the response is not a compact JWS');
  const header = decodeJsonObject(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url'));
  if (!header) throw invalid('the protected header is not a JSON object');
  for (const name of FORBIDDEN_HEADERS) {
    if (Object.hasOwn(header, name)) throw invalid(`the "${name}" header is not accepted`);
  }
  if (header.alg !== 'EdDSA') throw invalid(`alg ${show(header.alg)} is not accepted; only EdDSA`);
  if (header.typ !== STATUS_LIST_TOKEN_TYPE) throw invalid(`typ must be "${STATUS_LIST_TOKEN_TYPE}", got ${show(header.typ)}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw invalid(`the "kid" header must name a key of the issuer, got ${show(header.kid)}`);

  let payload: Uint8Array;
  try {
    const jwks = await options.keys();
    ({ payload } = await compactVerify(token, jwks, { algorithms: ['EdDSA'] }));
  } catch (error) {
    // Even a JWKS outage is reported as STATUS_UNAVAILABLE here: it is the list that could not be checked.
    if (error instanceof errors.JWSSignatureVerificationFailed) throw invalid('the signature does not verify', error);
    if (error instanceof errors.JWKSNoMatchingKey) throw invalid(`the issuer's JWKS has no Ed25519 key with kid ${show(header.kid)}`, error);
    throw invalid(`it could not be verified (${error instanceof Error ? error.message : String(error)})`, error);
  }

  const claims = decodeJsonObject(payload);
  if (!claims) throw invalid('the payload is not a JSON claims set');
  const { iss, sub, iat, exp, ttl, status_list: statusList } = claims;
  if (iss !== options.issuer) throw invalid(`iss ${show(iss)} is not ${show(options.issuer)}`);
  if (sub !== uri) throw invalid(`sub ${show(sub)} is not the list's uri`);
  if (!isNumericDate(iat)) throw invalid('the "iat" claim is missing or not a NumericDate');
  if (!isNumericDate(exp)) throw invalid('the "exp" claim is missing or not a NumericDate');
  if (exp <= iat) throw invalid('exp is not after iat');
  const now = Math.floor(options.now().getTime() / 1000);
  const tolerance = options.clockToleranceSeconds;
  if (exp <= now - tolerance) throw invalid(`the list expired at ${isoDate(exp)}`);
  if (iat > now + tolerance) throw invalid(`the list was issued in the future (iat ${isoDate(iat)})`);
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0)) {
    throw invalid('the "ttl" claim must be a non-negative number of seconds');
  }
  if (!isPlainObject(statusList)) throw invalid('the "status_list" claim is missing');
  let list: StatusList;
  try {
    list = await decodeStatusList(statusList);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error), error);
  }
  return { list, issuedAt: iat, expiresAt: exp, ttlSeconds: ttl };
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const detail = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `could not be fetched: ${detail}${cause}`;
}

function unavailable(uri: string, detail: string, cause?: unknown): EntitlementVerificationError {
  return reject('STATUS_UNAVAILABLE', `status list ${new URL(uri).href}: ${detail}`, cause);
}
