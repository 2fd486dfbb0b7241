import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSigningKeyStore } from './signing-key-store.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'signing-keys-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileSigningKeyStore', () => {
  it('generates a key on first open and reuses it when reopened', async () => {
    const first = await (await FileSigningKeyStore.open(dir)).signingKey();
    const again = await (await FileSigningKeyStore.open(dir)).signingKey();

    expect(again.kid).toBe(first.kid);
    expect(first.alg).toBe('EdDSA');
  });

  it('names the key by the RFC 7638 thumbprint of its public JWK', async () => {
    const key = await (await FileSigningKeyStore.open(dir)).signingKey();

    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
  });

  it('writes the private key file with mode 0600 in a directory with mode 0700', async () => {
    const { kid } = await (await FileSigningKeyStore.open(dir)).signingKey();

    expect((await stat(path.join(dir, `${kid}.private.jwk.json`))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('publishes the public key in the JWKS without any private part', async () => {
    const store = await FileSigningKeyStore.open(dir);
    const { kid } = await store.signingKey();
    const jwks = await store.publicJwks();

    expect(jwks).toHaveLength(1);
    expect(jwks[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid, alg: 'EdDSA', use: 'sig' });
    expect(jwks[0]).not.toHaveProperty('d');
  });

  it('keeps the signing private key non-extractable', async () => {
    const { privateKey } = await (await FileSigningKeyStore.open(dir)).signingKey();

    expect(privateKey.extractable).toBe(false);
  });

  it('returns the public key for its own kid and nothing for an unknown kid', async () => {
    const store = await FileSigningKeyStore.open(dir);
    const { kid } = await store.signingKey();

    expect((await store.publicKey(kid))?.type).toBe('public');
    expect(await store.publicKey('unknown-kid')).toBeUndefined();
  });

  it('agrees on one kid when several opens race on an empty directory', async () => {
    const stores = await Promise.all(Array.from({ length: 8 }, () => FileSigningKeyStore.open(dir)));
    const kids = new Set(await Promise.all(stores.map(async (s) => (await s.signingKey()).kid)));

    expect(kids.size).toBe(1);
    const [kid] = kids;
    // The losers' keys never signed anything and are removed; no temp file is left behind.
    expect((await readdir(dir)).sort()).toEqual([`${kid}.private.jwk.json`, 'current.json'].sort());
  });

  it('refuses to start when a key file does not hold the key its name says', async () => {
    const { kid } = await (await FileSigningKeyStore.open(dir)).signingKey();
    const file = path.join(dir, `${kid}.private.jwk.json`);
    const other = await mkdtemp(path.join(os.tmpdir(), 'signing-keys-other-'));
    try {
      const otherKid = (await (await FileSigningKeyStore.open(other)).signingKey()).kid;
      const swapped = await readFile(path.join(other, `${otherKid}.private.jwk.json`), 'utf8');
      await writeFile(file, swapped);

      await expect(FileSigningKeyStore.open(dir)).rejects.toThrow(/does not hold the key its name says/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
