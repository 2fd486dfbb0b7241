// Test fixture, not part of the kit's API: a tiny issuer (metadata + JWKS over HTTP on
// loopback) with Ed25519 keys, and helpers to sign honest and hostile tokens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

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
}

export async function startTestIssuer(keys: TestKey[]): Promise<TestIssuer> {
  // The handler reads these fields at request time, so tests can change them.
  const state: Pick<TestIssuer, 'published' | 'metadata' | 'jwks'> & { issuer: string; jwksUri: string } = {
    issuer: '',
    jwksUri: '',
    published: keys,
    metadata: (issuer, jwksUri) => json(200, { issuer, jwks_uri: jwksUri, token_type: 'entitlement+jwt', signing_alg_values_supported: ['EdDSA'] }),
    jwks: (published) => json(200, { keys: published.map((key) => key.jwk) }),
  };
  const server = await startRecordingServer((request, response) => {
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
