import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { IdentityTokenVerifier } from './authenticator.js';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'coalition';
let key: { privateKey: CryptoKey; publicKey: CryptoKey };
let other: { privateKey: CryptoKey; publicKey: CryptoKey };

beforeAll(async () => {
  key = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
});

const mint = (signer: CryptoKey, expiresAt: number, subject = 'member-1') =>
  new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(subject).setIssuedAt().setExpirationTime(expiresAt).sign(signer);

describe('IdentityTokenVerifier reusing verifications', () => {
  it('reuses a good credential, never past its expiry, and never remembers a bad one', async () => {
    let now = Date.now();
    const verifier = new IdentityTokenVerifier([{ issuer: ISSUER, key: key.publicKey }], AUDIENCE, () => now);
    const expiresAt = Math.floor(now / 1000) + 3600;
    const jwt = await mint(key.privateKey, expiresAt);
    expect((await verifier.verify(jwt)).sub).toBe('member-1');
    expect((await verifier.verify(jwt)).sub).toBe('member-1');

    // Forged with another key, and the same claims altered: refused, each time.
    const forged = await mint(other.privateKey, expiresAt);
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const [header, , signature] = jwt.split('.');
    const altered = `${header}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'member-2', exp: expiresAt })).toString('base64url')}.${signature}`;
    await expect(verifier.verify(altered)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    // A credential about to expire is reused only until it does (then jose decides again, tolerance and all).
    const exp = Math.floor(now / 1000) + 20;
    const shortLived = await mint(key.privateKey, exp);
    expect((await verifier.verify(shortLived)).sub).toBe('member-1');
    const remembered = (verifier as unknown as { verified: Map<string, { until: number }> }).verified;
    expect(remembered.get(shortLived)!.until).toBe(exp * 1000);
    expect(remembered.get(jwt)!.until).toBe(now + 60_000);
    expect(remembered.has(forged)).toBe(false);
    expect(remembered.has(altered)).toBe(false);
  });
});
