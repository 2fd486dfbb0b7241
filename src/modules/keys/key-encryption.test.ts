import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesGcmKeyEncryption } from './key-encryption.js';

const KID = 'yZfhjpc_8OEf4y1xngquSSPKJMzDpVyfRDf8AHuiwqw';
const secret = new TextEncoder().encode('{"d":"private"}');

describe('AesGcmKeyEncryption', () => {
  it('round-trips the private key bytes and names its key by a stable fingerprint', async () => {
    const key = randomBytes(32);
    const sealed = await new AesGcmKeyEncryption(key).encrypt(secret, KID);

    expect(sealed).toMatchObject({ alg: 'A256GCM', keyId: new AesGcmKeyEncryption(key).keyId });
    expect(Buffer.from(sealed.ciphertext, 'base64url').toString('utf8')).not.toContain('private');
    expect(Buffer.from(await new AesGcmKeyEncryption(key).decrypt(sealed, KID))).toEqual(Buffer.from(secret));
  });

  it('refuses to open what another key sealed, naming both keys', async () => {
    const right = new AesGcmKeyEncryption(randomBytes(32));
    const wrong = new AesGcmKeyEncryption(randomBytes(32));
    const sealed = await right.encrypt(secret, KID);

    await expect(wrong.decrypt(sealed, KID)).rejects.toThrow(
      `it was encrypted with key ${right.keyId}, but SIGNING_KEYS_ENCRYPTION_KEY is key ${wrong.keyId}`,
    );
  });

  it('refuses a sealed key presented under another kid', async () => {
    const encryption = new AesGcmKeyEncryption(randomBytes(32));
    const sealed = await encryption.encrypt(secret, KID);

    await expect(encryption.decrypt(sealed, 'A'.repeat(43))).rejects.toThrow(/fails authentication/);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new AesGcmKeyEncryption(randomBytes(16))).toThrow('needs a 32-byte key (SIGNING_KEYS_ENCRYPTION_KEY), got 16 bytes');
  });
});
