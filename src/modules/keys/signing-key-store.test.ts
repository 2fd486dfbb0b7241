import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import { AesGcmKeyEncryption } from './key-encryption.js';
import { FileSigningKeyStore, type FileSigningKeyStoreOptions } from './signing-key-store.js';
import { EntitlementTokenSigner, EntitlementTokenVerifier } from '../token/index.js';

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

describe('FileSigningKeyStore key lifecycle (frozen clock)', () => {
  const ISSUER = 'https://gateway.example';
  const TTL = 600;
  const LEAD = 3600;
  const input = { partnerId: 'sparkwash', subject: 'pseudonym-1', entitlementId: 'ent-1', benefitCode: 'CAR_WASH' };
  let clock: Date;
  const now = () => clock;
  const later = (seconds: number) => {
    clock = new Date(clock.getTime() + seconds * 1000);
  };

  beforeEach(() => {
    clock = new Date('2026-03-01T08:00:00Z');
  });

  function open(options: FileSigningKeyStoreOptions = {}) {
    return FileSigningKeyStore.open(dir, { now, reloadIntervalMs: 0, ...options });
  }

  function tokens(store: FileSigningKeyStore) {
    return {
      sign: () => new EntitlementTokenSigner({ issuer: ISSUER, keyStore: store, ttlSeconds: TTL, now }).sign(input),
      verify: (token: string) => new EntitlementTokenVerifier({ issuer: ISSUER, keyStore: store, now }).verify(token, 'sparkwash'),
    };
  }

  async function refusal(promise: Promise<unknown>): Promise<{ code: unknown; message: string }> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    return { code: (error as AppError).extensions.code, message: (error as AppError).message };
  }

  const kids = async (store: FileSigningKeyStore) => (await store.publicJwks()).map((k) => k.kid);

  it('publishes a rotated key at once but signs with it only after the lead time', async () => {
    const store = await open();
    const old = (await store.signingKey()).kid;

    const next = await store.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL });

    expect(next).toMatchObject({ status: 'pending', publishedAt: clock, activatesAt: new Date(clock.getTime() + LEAD * 1000) });
    expect(await kids(store)).toEqual([old, next.kid]);
    expect((await tokens(store).sign()).kid).toBe(old);
    later(LEAD - 1);
    expect((await tokens(store).sign()).kid).toBe(old);
    later(1);
    expect((await tokens(store).sign()).kid).toBe(next.kid);
  });

  it('keeps verifying tokens of the replaced key until every one has expired, then retires it', async () => {
    const store = await open();
    const oldToken = await tokens(store).sign();
    const next = await store.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL });
    const replaced = (await store.schedule()).find((k) => k.kid === oldToken.kid)!;
    // Signed up to the activation, each token lives TTL more, plus the partners' clock tolerance.
    expect(replaced.retiresAt).toEqual(new Date(next.activatesAt.getTime() + (TTL + 60) * 1000));

    later(LEAD - 1);
    const lastOldToken = await tokens(store).sign();
    expect(lastOldToken.kid).toBe(oldToken.kid);
    later(1);
    const newToken = await tokens(store).sign();
    expect(newToken.kid).toBe(next.kid);
    expect((await tokens(store).verify(lastOldToken.token)).jti).toBe(lastOldToken.claims.jti);
    expect(await kids(store)).toEqual([oldToken.kid, next.kid]);

    clock = new Date(replaced.retiresAt!.getTime() - 1);
    expect(await kids(store)).toEqual([oldToken.kid, next.kid]);
    clock = replaced.retiresAt!;
    expect(await kids(store)).toEqual([next.kid]);
    expect(await store.publicKey(oldToken.kid)).toBeUndefined();
    expect(await refusal(tokens(store).verify(lastOldToken.token))).toEqual({
      code: 'TOKEN_INVALID',
      message: `Invalid entitlement token: unknown signing key (kid "${oldToken.kid}")`,
    });
    expect((await store.schedule()).map((k) => k.status)).toEqual(['retired', 'signing']);
  });

  it('removes a revoked signing key at once and signs with a new key immediately', async () => {
    const store = await open();
    const before = await tokens(store).sign();

    const { revoked, replacement } = await store.revoke(before.kid);

    expect(revoked).toMatchObject({ kid: before.kid, status: 'revoked', revokedAt: clock });
    expect(replacement).toMatchObject({ status: 'signing', publishedAt: clock, activatesAt: clock });
    expect(await kids(store)).toEqual([replacement!.kid]);
    expect((await tokens(store).sign()).kid).toBe(replacement!.kid);
    expect(await refusal(tokens(store).verify(before.token))).toEqual({
      code: 'TOKEN_INVALID',
      message: `Invalid entitlement token: unknown signing key (kid "${before.kid}")`,
    });
  });

  it('revokes a key that is not signing without replacing the signing key', async () => {
    const store = await open();
    const signing = (await store.signingKey()).kid;
    const pending = await store.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL });

    const result = await store.revoke(pending.kid);

    expect(result).not.toHaveProperty('replacement');
    expect(await kids(store)).toEqual([signing]);
    // Its successor is gone, so the signing key no longer retires: issuing must not stop.
    later(LEAD + TTL + 3600);
    expect((await store.signingKey()).kid).toBe(signing);
    expect((await store.schedule()).find((k) => k.kid === signing)).not.toHaveProperty('retiresAt');
  });

  it('refuses to revoke an unknown kid and changes nothing', async () => {
    const store = await open();
    const manifest = await readFile(path.join(dir, 'current.json'), 'utf8');

    await expect(store.revoke('A'.repeat(43))).rejects.toThrow(`No signing key has kid "${'A'.repeat(43)}"`);
    expect(await readFile(path.join(dir, 'current.json'), 'utf8')).toBe(manifest);
  });

  it('opens a version 1 manifest and rewrites it as version 2 on the first operation', async () => {
    const { kid } = await (await open()).signingKey();
    await writeFile(path.join(dir, 'current.json'), JSON.stringify({ version: 1, signing: kid, published: [kid] }));

    const store = await open();
    expect((await store.signingKey()).kid).toBe(kid);
    expect(await kids(store)).toEqual([kid]);

    const next = await store.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL });
    const manifest = JSON.parse(await readFile(path.join(dir, 'current.json'), 'utf8'));
    expect(manifest.version).toBe(2);
    expect(manifest.keys.map((k: { kid: string }) => k.kid)).toEqual([kid, next.kid]);
    expect((await store.signingKey()).kid).toBe(kid);
  });

  it('keeps every rotation when two processes rotate concurrently', async () => {
    const first = await open();
    const second = await open();

    const rotated = await Promise.all([
      first.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL }),
      second.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL }),
      first.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL }),
      second.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL }),
    ]);

    const listed = (await (await open()).schedule()).map((k) => k.kid);
    expect(listed).toHaveLength(5);
    expect(listed).toEqual(expect.arrayContaining(rotated.map((k) => k.kid)));
    expect((await readdir(dir)).filter((f) => !f.endsWith('.private.jwk.json'))).toEqual(['current.json']);
  });

  it('picks up a rotation made by another store instance on reload', async () => {
    const server = await FileSigningKeyStore.open(dir, { now, reloadIntervalMs: 60_000 });
    const cli = await open();

    const next = await cli.rotate({ leadTimeSeconds: 0, tokenTtlSeconds: TTL });
    expect(await kids(server)).not.toContain(next.kid);

    await server.reload();
    expect(await kids(server)).toContain(next.kid);
    expect((await server.signingKey()).kid).toBe(next.kid);
  });

  it('re-reads the manifest on its own once the reload interval has passed', async () => {
    const server = await open();
    const next = await (await open()).rotate({ leadTimeSeconds: 0, tokenTtlSeconds: TTL });

    expect((await server.signingKey()).kid).toBe(next.kid);
  });

  it('keeps serving its keys when a background re-read fails, and reports why', async () => {
    const errors: unknown[] = [];
    const store = await open({ onReloadError: (error) => errors.push(error) });
    const { kid } = await store.signingKey();
    await writeFile(path.join(dir, 'current.json'), '{ not json');

    expect((await store.signingKey()).kid).toBe(kid);
    expect(String(errors[0])).toMatch(/current\.json is malformed/);
    await expect(store.reload()).rejects.toThrow(/current\.json is malformed/);
  });

  it('drops keys retired more than a day ago, with their files, on the next operation', async () => {
    const store = await open();
    const { kid: first } = await store.signingKey();
    await store.rotate({ leadTimeSeconds: 0, tokenTtlSeconds: TTL });
    later(TTL + 60 + 24 * 3600);

    await store.rotate({ leadTimeSeconds: 0, tokenTtlSeconds: TTL });

    expect((await store.schedule()).map((k) => k.kid)).not.toContain(first);
    expect(await readdir(dir)).not.toContain(`${first}.private.jwk.json`);
  });

  describe('encrypted at rest', () => {
    const rightKey = new AesGcmKeyEncryption(randomBytes(32));
    const wrongKey = new AesGcmKeyEncryption(randomBytes(32));

    it('writes private key files without the private "d", which open with the right key', async () => {
      const store = await open({ encryption: rightKey });
      const { kid } = await store.signingKey();
      const next = await store.rotate({ leadTimeSeconds: 0, tokenTtlSeconds: TTL });

      for (const id of [kid, next.kid]) {
        const text = await readFile(path.join(dir, `${id}.private.jwk.json`), 'utf8');
        expect(text).not.toContain('"d"');
        expect(JSON.parse(text)).toMatchObject({ kid: id, encrypted: { alg: 'A256GCM', keyId: rightKey.keyId } });
      }
      const reopened = await open({ encryption: rightKey });
      expect((await reopened.signingKey()).kid).toBe(next.kid);
      const token = await tokens(reopened).sign();
      expect((await tokens(store).verify(token.token)).jti).toBe(token.jti);
    });

    it('refuses to open with another key, naming both keys', async () => {
      const { kid } = await (await open({ encryption: rightKey })).signingKey();

      await expect(open({ encryption: wrongKey })).rejects.toThrow(
        `Cannot decrypt signing key file ${path.join(dir, `${kid}.private.jwk.json`)}: it was encrypted with key ${rightKey.keyId}, but SIGNING_KEYS_ENCRYPTION_KEY is key ${wrongKey.keyId}`,
      );
    });

    it('refuses to open without a key, saying what to set', async () => {
      await open({ encryption: rightKey });

      await expect(open()).rejects.toThrow(/is encrypted \(key sha256:[\w-]+\); set SIGNING_KEYS_ENCRYPTION_KEY/);
    });

    it('refuses a sealed file that was altered', async () => {
      const { kid } = await (await open({ encryption: rightKey })).signingKey();
      const file = path.join(dir, `${kid}.private.jwk.json`);
      const sealed = JSON.parse(await readFile(file, 'utf8'));
      const text: string = sealed.encrypted.ciphertext;
      sealed.encrypted.ciphertext = `${text[0] === 'A' ? 'B' : 'A'}${text.slice(1)}`;
      await writeFile(file, JSON.stringify(sealed));

      await expect(open({ encryption: rightKey })).rejects.toThrow(/fails authentication/);
    });

    it('reads existing plaintext files and encrypts them on the next write', async () => {
      const { kid } = await (await open()).signingKey();
      const store = await open({ encryption: rightKey });
      expect((await store.signingKey()).kid).toBe(kid);
      expect(await readFile(path.join(dir, `${kid}.private.jwk.json`), 'utf8')).toContain('"d"');

      await store.rotate({ leadTimeSeconds: LEAD, tokenTtlSeconds: TTL });

      expect(await readFile(path.join(dir, `${kid}.private.jwk.json`), 'utf8')).not.toContain('"d"');
      expect((await (await open({ encryption: rightKey })).signingKey()).kid).toBe(kid);
    });
  });
});
