import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { base64url, decodeJwt, decodeProtectedHeader, FlattenedSign, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import {
  EntitlementTokenSigner,
  EntitlementTokenVerifier,
  type EntitlementTokenClaims,
} from './entitlement-token.js';
import { ENTITLEMENT_TOKEN_TYPE, FileSigningKeyStore, type SigningKey } from '../keys/index.js';

const ISSUER = 'https://gateway.example';
const TTL = 600;
const ISSUED_AT = new Date('2026-03-01T08:00:00Z');
const input = { partnerId: 'sparkwash', subject: 'pseudonym-1', entitlementId: 'ent-1', benefitCode: 'CAR_WASH' };

let dir: string;
let store: FileSigningKeyStore;
let key: SigningKey;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'entitlement-token-'));
  store = await FileSigningKeyStore.open(path.join(dir, 'keys'));
  key = await store.signingKey();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function signer(now: Date = ISSUED_AT, issuer = ISSUER): EntitlementTokenSigner {
  return new EntitlementTokenSigner({ issuer, keyStore: store, ttlSeconds: TTL, now: () => now });
}

function verifier(now: Date = ISSUED_AT): EntitlementTokenVerifier {
  return new EntitlementTokenVerifier({ issuer: ISSUER, keyStore: store, now: () => now });
}

function validClaims(): EntitlementTokenClaims {
  const iat = Math.floor(ISSUED_AT.getTime() / 1000);
  return { iss: ISSUER, aud: 'sparkwash', sub: 'pseudonym-1', jti: 'jti-1', iat, exp: iat + TTL, ent: 'ent-1', ben: 'CAR_WASH' };
}

/** Signs arbitrary header and claims with the store's own private key. */
async function forge(header: Record<string, unknown>, claims: JWTPayload = { ...validClaims() }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(key.privateKey);
}

async function expectAppError(promise: Promise<unknown>, code: string, message: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).extensions.code).toBe(code);
  expect((error as AppError).message).toBe(message);
}

const invalid = (reason: string) => `Invalid entitlement token: ${reason}`;

describe('EntitlementTokenSigner', () => {
  it('signs a compact JWS whose protected header is exactly alg, kid and typ', async () => {
    const { token, kid } = await signer().sign(input);

    expect(token.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(token)).toStrictEqual({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt' });
    expect(kid).toBe(key.kid);
  });

  it('puts exactly iss, aud, sub, jti, iat, exp, ent and ben into the token', async () => {
    const issued = await signer().sign(input);
    const iat = Math.floor(ISSUED_AT.getTime() / 1000);

    expect(decodeJwt(issued.token)).toStrictEqual({
      iss: ISSUER,
      aud: 'sparkwash',
      sub: 'pseudonym-1',
      jti: issued.jti,
      iat,
      exp: iat + TTL,
      ent: 'ent-1',
      ben: 'CAR_WASH',
    });
    expect(issued.expiresAt.toISOString()).toBe('2026-03-01T08:10:00.000Z');
    expect(issued.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('gives every token a fresh jti', async () => {
    const [a, b] = await Promise.all([signer().sign(input), signer().sign(input)]);

    expect(a.jti).not.toBe(b.jti);
  });
});

describe('EntitlementTokenVerifier', () => {
  it('returns the claims of a token it signed, for the partner it was issued to', async () => {
    const issued = await signer().sign(input);

    expect(await verifier().verify(issued.token, 'sparkwash')).toStrictEqual(issued.claims);
  });

  it('rejects a token whose payload was tampered with as TOKEN_INVALID', async () => {
    const [header, , signature] = (await signer().sign(input)).token.split('.');
    const payload = base64url.encode(JSON.stringify({ ...validClaims(), ben: 'STREAMING_VIP' }));

    await expectAppError(
      verifier().verify(`${header}.${payload}.${signature}`, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the signature does not match the header and payload'),
    );
  });

  it('rejects a token whose signature is spelled non-canonically (same bytes, other last character)', async () => {
    const { token } = await signer().sign(input);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // An Ed25519 signature is 86 base64url characters: the last one carries 4 unused bits.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    const respelled = `${header}.${payload}.${signature.slice(0, -1)}${sibling}`;
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));

    await expectAppError(
      verifier().verify(respelled, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the token is not canonically base64url-encoded'),
    );
  });

  it('rejects an expired token as TOKEN_EXPIRED once the clock tolerance has passed', async () => {
    const { token } = await signer().sign(input);
    const later = new Date(ISSUED_AT.getTime() + (TTL + 5) * 1000);

    await expectAppError(
      verifier(later).verify(token, 'sparkwash'),
      'TOKEN_EXPIRED',
      'The entitlement token has expired; ask the member for a fresh one',
    );
  });

  it('still accepts a token one second before it expires', async () => {
    const { token } = await signer().sign(input);
    const justBefore = new Date(ISSUED_AT.getTime() + (TTL - 1) * 1000);

    await expect(verifier(justBefore).verify(token, 'sparkwash')).resolves.toMatchObject({ aud: 'sparkwash' });
  });

  it('rejects a token issued to another partner as TOKEN_INVALID', async () => {
    const { token } = await signer().sign(input);

    await expectAppError(
      verifier().verify(token, 'brewbar'),
      'TOKEN_INVALID',
      invalid('the token was issued to another partner'),
    );
  });

  it('rejects a token typed JWT instead of entitlement+jwt', async () => {
    const token = await forge({ kid: key.kid, typ: 'JWT' });

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('typ must be "entitlement+jwt", got "JWT"'),
    );
  });

  it('rejects a typ that differs only in case, since the match is exact', async () => {
    const token = await forge({ kid: key.kid, typ: 'Entitlement+JWT' });

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('typ must be "entitlement+jwt", got "Entitlement+JWT"'),
    );
  });

  it('rejects an unsigned token with alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE }));
    const payload = base64url.encode(JSON.stringify(validClaims()));

    await expectAppError(
      verifier().verify(`${header}.${payload}.`, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('alg "none" is not accepted; only EdDSA'),
    );
  });

  it('rejects a token signed by a key that is not ours, whatever kid it claims', async () => {
    const stranger = await generateKeyPair('Ed25519');
    const token = await new SignJWT({ ...validClaims() })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'not-one-of-ours', typ: ENTITLEMENT_TOKEN_TYPE })
      .sign(stranger.privateKey);

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('unknown signing key (kid "not-one-of-ours")'),
    );
  });

  it('rejects a token signed by a stranger under our kid', async () => {
    const stranger = await generateKeyPair('Ed25519');
    const token = await new SignJWT({ ...validClaims() })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE })
      .sign(stranger.privateKey);

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the signature does not match the header and payload'),
    );
  });

  it('rejects a token that embeds its own verification key in a jwk header', async () => {
    const token = await forge({ kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE, jwk: key.publicJwk });

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the "jwk" header is not accepted; keys come only from the issuer\'s JWKS'),
    );
  });

  it('rejects a token with a crit header', async () => {
    const token = await new SignJWT({ ...validClaims() })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE, crit: ['exp'], exp: 1 })
      .sign(key.privateKey, { crit: { exp: true } });

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the "crit" header is not accepted'),
    );
  });

  it('rejects a token from another issuer', async () => {
    const { token } = await signer(ISSUED_AT, 'https://elsewhere.example').sign(input);

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the token was not issued by this issuer'),
    );
  });

  it('rejects an aud given as an array even when it contains the partner', async () => {
    const token = await forge({ kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE }, { ...validClaims(), aud: ['sparkwash'] });

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('aud must be a single partner id, not an array'),
    );
  });

  it('rejects a token without a benefit code', async () => {
    const { ben: _ben, ...claims } = validClaims();
    const token = await forge({ kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE }, claims);

    await expectAppError(verifier().verify(token, 'sparkwash'), 'TOKEN_INVALID', invalid('the "ben" claim is missing'));
  });

  it('rejects an entitlement id that is not a string', async () => {
    const token = await forge({ kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE }, { ...validClaims(), ent: 42 });

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the "ent" claim must be a non-empty string'),
    );
  });

  it('rejects a token issued in the future beyond the clock tolerance', async () => {
    const { token } = await signer(new Date(ISSUED_AT.getTime() + 60_000)).sign(input);

    await expectAppError(
      verifier().verify(token, 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the token was issued in the future (iat)'),
    );
  });

  it('rejects the JSON serialization of a valid signature', async () => {
    const jws = await new FlattenedSign(new TextEncoder().encode(JSON.stringify(validClaims())))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE })
      .sign(key.privateKey);

    await expectAppError(
      verifier().verify(JSON.stringify(jws), 'sparkwash'),
      'TOKEN_INVALID',
      invalid('expected a compact JWS, got a JSON serialization'),
    );
  });

  it('rejects a five-part encrypted token', async () => {
    await expectAppError(
      verifier().verify('eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn', 'sparkwash'),
      'TOKEN_INVALID',
      invalid('expected a compact JWS, got an encrypted token (JWE)'),
    );
  });

  it('rejects a header that is not base64url JSON', async () => {
    await expectAppError(
      verifier().verify('bm90LWpzb24.e30.c2ln', 'sparkwash'),
      'TOKEN_INVALID',
      invalid('the protected header is not base64url-encoded JSON'),
    );
  });
});
