// Test fixture, not part of the kit's API: a tiny issuer (metadata, JWKS and token status
// lists over HTTP on loopback) with Ed25519 keys, and helpers to sign honest and hostile tokens.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import { base64url, CompactSign, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK as the issuer publishes it. */
  jwk: JWK;
}

export async function generateTestKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}

/** An HTTP server on 127.0.0.1:0 that records every request and answers with `handle`. */
export interface RecordingServer {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  count(path: string): number;
  close(): Promise<void>;
}

export async function startRecordingServer(
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<RecordingServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    handle(request, response);
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (path) => requests.filter((p) => p === path).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export const METADATA_PATH = '/.well-known/entitlement-issuer';
export const JWKS_PATH = '/.well-known/jwks.json';
export const STATUS_LISTS_PATH = '/.well-known/status-lists';

/** One status list the test issuer serves; change its fields between requests. */
export interface TestStatusList {
  bits: 1 | 2 | 4 | 8;
  /** The packed entries (see {@link packStatuses}). Change them through `setStatus`. */
  bytes: Uint8Array;
  /** The `ttl` claim, seconds. @default 60 */
  ttl: number;
  /** `exp` − `iat` of each signed copy, seconds. @default 3600 */
  lifetime: number;
  /** Hostile lists: another signing key, header fields or claims (undefined removes one). */
  key?: TestKey;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Replaces the whole HTTP answer (a raw body, another status, other headers). */
  answer?: () => { status: number; headers?: Record<string, string>; body: string | Uint8Array };
}

/** A status list request the test issuer answered. */
export interface StatusListExchange {
  path: string;
  ifNoneMatch: string | undefined;
  status: number;
}

/** A fake issuer: what it publishes can be changed between requests. */
export interface TestIssuer extends RecordingServer {
  /** The issuer URL (the tokens' `iss`). */
  issuer: string;
  jwksUri: string;
  /** Keys in the JWKS; replace to rotate. */
  published: TestKey[];
  /** Replaces the metadata document (or the raw response) for later requests. */
  metadata: (issuer: string, jwksUri: string) => { status: number; body: string };
  jwks: (keys: TestKey[]) => { status: number; body: string };
  /** The clock status lists are signed with (`iat`, `exp`, max-age). */
  now: () => Date;
  /** Served status lists by path. */
  statusLists: Map<string, TestStatusList>;
  /** Status list requests, in order, with what was answered. */
  statusRequests: StatusListExchange[];
  /**
   * Serves a new status list of `size` entries (all VALID) at
   * `<issuer>/.well-known/status-lists/<name>` and returns its URI.
   */
  addStatusList(name: string, size: number, options?: Partial<TestStatusList>): string;
  /** Sets entry `idx` of the list at `uri` (flips a token's status). */
  setStatus(uri: string, idx: number, value: number): void;
}

export async function startTestIssuer(keys: TestKey[]): Promise<TestIssuer> {
  // Signed copies of the lists, re-signed when an entry changes or half their lifetime has passed.
  const signed = new Map<TestStatusList, { token: string; etag: string; iat: number; fingerprint: string }>();
  // The handler reads these fields at request time, so tests can change them.
  const state: Omit<TestIssuer, keyof RecordingServer> = {
    issuer: '',
    jwksUri: '',
    published: keys,
    metadata: (issuer, jwksUri) => json(200, { issuer, jwks_uri: jwksUri, token_type: 'entitlement+jwt', signing_alg_values_supported: ['EdDSA'] }),
    jwks: (published) => json(200, { keys: published.map((key) => key.jwk) }),
    now: () => new Date(),
    statusLists: new Map(),
    statusRequests: [],
    addStatusList(name, size, options = {}) {
      const bits = options.bits ?? 1;
      state.statusLists.set(`${STATUS_LISTS_PATH}/${name}`, {
        bits,
        bytes: new Uint8Array(Math.ceil((size * bits) / 8)),
        ttl: 60,
        lifetime: 3600,
        ...options,
      });
      return `${state.issuer}${STATUS_LISTS_PATH}/${name}`;
    },
    setStatus(uri, idx, value) {
      const list = state.statusLists.get(new URL(uri).pathname);
      if (!list) throw new Error(`no status list at ${uri}`);
      list.bytes = setEntry(list.bytes, list.bits, idx, value);
    },
  };

  async function serveStatusList(request: IncomingMessage, list: TestStatusList) {
    const path = request.url ?? '';
    const ifNoneMatch = request.headers['if-none-match'];
    if (list.answer) {
      const answer = list.answer();
      return { ...answer, exchange: { path, ifNoneMatch, status: answer.status } };
    }
    const now = Math.floor(state.now().getTime() / 1000);
    const key = list.key ?? state.published[0]!;
    // Whatever the token would say: a change re-signs it (and so changes the ETag).
    const fingerprint = JSON.stringify(
      [Buffer.from(list.bytes).toString('hex'), list.bits, list.ttl, list.lifetime, key, list.header, list.claims],
      // Keep what JSON drops: a removed claim ({ iat: undefined }) and the key itself.
      (_name, value: unknown) => (value === undefined ? '(removed)' : value === key ? key.jwk : value),
    );
    let copy = signed.get(list);
    if (!copy || copy.fingerprint !== fingerprint || now - copy.iat >= list.lifetime / 2 || now < copy.iat) {
      const token = await signStatusList(
        key,
        { issuer: state.issuer, uri: `${state.issuer}${path}`, bits: list.bits, bytes: list.bytes, iat: now, exp: now + list.lifetime, ttl: list.ttl },
        list.header,
        list.claims,
      );
      copy = { token, etag: `"${createHash('sha256').update(token).digest('base64url').slice(0, 16)}"`, iat: now, fingerprint };
      signed.set(list, copy);
    }
    // What is left of the current ttl period: a copy kept past its ttl is confirmed for another one.
    const headers = { 'cache-control': `public, max-age=${list.ttl - ((now - copy.iat) % list.ttl)}`, etag: copy.etag };
    if (ifNoneMatch === copy.etag) return { status: 304, headers, body: '', exchange: { path, ifNoneMatch, status: 304 } };
    return {
      status: 200,
      headers: { ...headers, 'content-type': 'application/statuslist+jwt' },
      body: copy.token,
      exchange: { path, ifNoneMatch, status: 200 },
    };
  }

  const server = await startRecordingServer((request, response) => {
    const list = state.statusLists.get(request.url ?? '');
    if (list) {
      serveStatusList(request, list).then(
        ({ status, headers, body, exchange }) => {
          state.statusRequests.push(exchange);
          response.writeHead(status, headers).end(body);
        },
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    const answer =
      request.url === METADATA_PATH
        ? state.metadata(state.issuer, state.jwksUri)
        : request.url === JWKS_PATH
          ? state.jwks(state.published)
          : { status: 404, body: '{}' };
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  state.issuer = server.url;
  state.jwksUri = `${server.url}${JWKS_PATH}`;
  return Object.assign(state, server);
}

/** The `status` claim naming entry `idx` of the list at `uri`. */
export function statusClaim(uri: string, idx: number): { status_list: { idx: number; uri: string } } {
  return { status_list: { idx, uri } };
}

/** Packs status values, `bits` each, least significant bits first (draft §4.1). */
export function packStatuses(values: readonly number[], bits: 1 | 2 | 4 | 8): Uint8Array {
  let bytes: Uint8Array = new Uint8Array(Math.ceil((values.length * bits) / 8));
  values.forEach((value, index) => (bytes = setEntry(bytes, bits, index, value)));
  return bytes;
}

function setEntry(bytes: Uint8Array, bits: number, idx: number, value: number): Uint8Array {
  const next = Uint8Array.from(bytes);
  const bit = idx * bits;
  const mask = ((1 << bits) - 1) << (bit & 7);
  next[bit >> 3] = (next[bit >> 3]! & ~mask) | ((value << (bit & 7)) & mask);
  return next;
}

/** `lst`: base64url of the ZLIB-compressed bytes. */
export function encodeLst(bytes: Uint8Array): string {
  return deflateSync(bytes).toString('base64url');
}

/** Signs a Status List Token; `header` and `claims` are merged over the honest ones. */
export async function signStatusList(
  key: TestKey,
  list: { issuer: string; uri: string; bits: number; bytes: Uint8Array; iat: number; exp: number; ttl: number },
  header: Record<string, unknown> = {},
  claims: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: list.issuer,
    sub: list.uri,
    iat: list.iat,
    exp: list.exp,
    ttl: list.ttl,
    status_list: { bits: list.bits, lst: encodeLst(list.bytes) },
    ...claims,
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'statuslist+jwt', ...header } as { alg: string })
    .sign(key.privateKey);
}

export function json(status: number, value: unknown): { status: number; body: string } {
  return { status, body: JSON.stringify(value) };
}

/** Signs `claims` with `key` under a header that starts from the honest one. */
export async function signToken(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt', ...header })
    .sign(key.privateKey);
}

/** A compact JWS built by hand: any header, any payload, any signature (none by default). */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  const encode = (value: unknown) => base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

/** Deterministic PRNG (mulberry32): the same seed gives the same sequence on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
