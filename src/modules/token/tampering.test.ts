// The tampering suite of issue 4 against our own verifier (the one redeemEntitlement uses):
// every forged, mangled or stripped variant of a valid token is refused, 0 accepted.
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { base64url, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import { EntitlementTokenSigner, EntitlementTokenVerifier } from './entitlement-token.js';
import { FileSigningKeyStore, type SigningKey } from '../keys/index.js';

const ISSUER = 'https://gateway.example';
const NOW = new Date('2026-03-01T08:00:00Z');
const iat = Math.floor(NOW.getTime() / 1000);
const claims = { iss: ISSUER, aud: 'sparkwash', sub: 'pseudonym-1', jti: 'jti-1', iat, exp: iat + 600, ent: 'ent-1', ben: 'CAR_WASH' };

let dir: string;
let store: FileSigningKeyStore;
let key: SigningKey;
let valid: string;
let verifier: EntitlementTokenVerifier;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tampering-'));
  store = await FileSigningKeyStore.open(path.join(dir, 'keys'));
  key = await store.signingKey();
  verifier = new EntitlementTokenVerifier({ issuer: ISSUER, keyStore: store, now: () => NOW });
  const signer = new EntitlementTokenSigner({ issuer: ISSUER, keyStore: store, ttlSeconds: 600, now: () => NOW });
  valid = (await signer.sign({ partnerId: 'sparkwash', subject: 'pseudonym-1', entitlementId: 'ent-1', benefitCode: 'CAR_WASH' })).token;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (value: unknown) => base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));
const header = (extra: Record<string, unknown> = {}) => ({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt', ...extra });
const unsigned = (h: Record<string, unknown>, c: Record<string, unknown> = claims) => `${b64(h)}.${b64(c)}.`;
const sign = (h: Record<string, unknown>, c: JWTPayload = claims) =>
  new SignJWT(c).setProtectedHeader(h as { alg: string }).sign(key.privateKey);

/** Signs any header with our key, bypassing jose's own checks (it refuses unknown crit). */
async function rawSign(h: Record<string, unknown>, c: Record<string, unknown> = claims): Promise<string> {
  const input = `${b64(h)}.${b64(c)}`;
  const signature = await crypto.subtle.sign('Ed25519', key.privateKey, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

async function refused(token: string): Promise<string> {
  const outcome = await verifier.verify(token, 'sparkwash').then(
    () => 'ACCEPTED',
    (error: unknown) => (error instanceof AppError ? String(error.extensions.code) : `UNCODED ${String(error)}`),
  );
  return outcome;
}

describe('tampering with entitlement tokens', () => {
  it('accepts the valid token it starts from, and the same token signed by hand', async () => {
    expect(await refused(valid)).toBe('ACCEPTED');
    expect(await refused(await rawSign(header()))).toBe('ACCEPTED');
  });

  const cases: Array<[string, () => Promise<string> | string]> = [
    ['alg none', () => unsigned(header({ alg: 'none' }))],
    ['alg None', () => unsigned(header({ alg: 'None' }))],
    ['alg noNE', () => unsigned(header({ alg: 'noNE' }))],
    ['a stripped signature', () => `${valid.split('.').slice(0, 2).join('.')}.`],
    ['the signature of another token', () => `${valid.split('.').slice(0, 2).join('.')}.${b64('x'.repeat(64))}`],
    ['HS256 keyed with our public key', () => {
      const h = b64(header({ alg: 'HS256' }));
      const p = b64(claims);
      const secret = Buffer.from(JSON.stringify(key.publicJwk));
      return `${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`;
    }],
    ['HS256 keyed with the raw public key bytes', () => {
      const h = b64(header({ alg: 'HS256' }));
      const p = b64(claims);
      const secret = Buffer.from(String(key.publicJwk.x), 'base64url');
      return `${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`;
    }],
    ['an alg swap to ES256 on our signature', () => {
      const [, p, s] = valid.split('.');
      return `${b64(header({ alg: 'ES256' }))}.${p}.${s}`;
    }],
    ['an unknown kid', () => sign(header({ kid: 'A'.repeat(43) }))],
    ['an absurd kid', () => sign(header({ kid: 'x'.repeat(5000) }))],
    ['a path-injection kid', () => sign(header({ kid: '../../../../etc/passwd' }))],
    ['an SQL-injection kid', () => sign(header({ kid: "' or 1=1 --" }))],
    ['no kid', () => sign({ alg: 'EdDSA', typ: 'entitlement+jwt' })],
    ['a jku header', () => sign(header({ jku: 'http://127.0.0.1:9/jwks.json' }))],
    ['an x5u header', () => sign(header({ x5u: 'http://127.0.0.1:9/cert.pem' }))],
    ['an embedded jwk header', () => sign(header({ jwk: key.publicJwk }))],
    ['an unknown crit', () => rawSign(header({ crit: ['exp-lol'], 'exp-lol': 1 }))],
    ['a missing aud', () => sign(header(), { ...claims, aud: undefined })],
    ['an array aud', () => sign(header(), { ...claims, aud: ['sparkwash'] })],
    ['another aud', () => sign(header(), { ...claims, aud: 'brewbar' })],
    ['another iss', () => sign(header(), { ...claims, iss: 'https://evil.example' })],
    ['typ JWT', () => sign(header({ typ: 'JWT' }))],
    ['no typ', () => sign({ alg: 'EdDSA', kid: key.kid })],
    ['a missing exp', () => sign(header(), { ...claims, exp: undefined })],
    ['exp just past the tolerance', () => sign(header(), { ...claims, iat: iat - 700, exp: iat - 6 })],
    ['nbf past the tolerance', () => sign(header(), { ...claims, nbf: iat + 6 })],
    ['iat in the future past the tolerance', () => sign(header(), { ...claims, iat: iat + 60, exp: iat + 660 })],
    ['a JWE', () => 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d'],
    ['the JSON serialization', () => JSON.stringify({ protected: valid.split('.')[0], payload: valid.split('.')[1], signature: valid.split('.')[2] })],
  ];

  it.each(cases)('refuses %s', async (_name, make) => {
    const outcome = await refused(await make());
    expect(['TOKEN_INVALID', 'TOKEN_EXPIRED']).toContain(outcome);
  });

  it('accepts exp and iat right at the edge of the clock tolerance', async () => {
    expect(await refused(await sign(header(), { ...claims, iat: iat - 700, exp: iat - 4 }))).toBe('ACCEPTED');
    expect(await refused(await sign(header(), { ...claims, iat: iat + 4, exp: iat + 604 }))).toBe('ACCEPTED');
  });

  it('refuses all of 10,000 random mutations of a valid token, with a coded error each', async () => {
    // A deterministic PRNG (mulberry32): the same mutations on every run.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const chars = [...valid];
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * chars.length);
        const op = random();
        if (op < 0.6) chars[at] = alphabet[Math.floor(random() * alphabet.length)]!;
        else if (op < 0.8) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]!);
      }
      const mutated = chars.join('');
      if (mutated === valid) continue;
      const outcome = await refused(mutated);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get('ACCEPTED') ?? 0).toBe(0);
    expect([...outcomes.keys()].every((o) => o === 'TOKEN_INVALID' || o === 'TOKEN_EXPIRED')).toBe(true);
  }, 120_000);
});
