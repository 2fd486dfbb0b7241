import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A private signing key as stored at rest by a {@link KeyEncryption}; all binary fields base64url. */
export interface SealedPrivateKey {
  /** How it was sealed: `A256GCM` for {@link AesGcmKeyEncryption}, a KMS's own name otherwise. */
  alg: string;
  /** Which wrapping key sealed it (see {@link KeyEncryption.keyId}). */
  keyId: string;
  ciphertext: string;
  /** Nonce, for algorithms that have one. */
  iv?: string;
  /** Authentication tag, for algorithms that keep it apart from the ciphertext. */
  tag?: string;
}

/**
 * Seals the private signing keys at rest. {@link AesGcmKeyEncryption} (the key from
 * `SIGNING_KEYS_ENCRYPTION_KEY`) is the default; a KMS implements the same two calls
 * (e.g. `Encrypt`/`Decrypt` on a key it never exports) to keep the wrapping key out of the process.
 */
export interface KeyEncryption {
  /**
   * Names the wrapping key (a fingerprint, a KMS key id): stored beside every ciphertext, so
   * a file sealed under another key is reported as such rather than as corrupt.
   */
  readonly keyId: string;
  /** Seals the private JWK bytes of key `kid` (bind `kid` as associated data where the algorithm allows). */
  encrypt(plaintext: Uint8Array, kid: string): Promise<SealedPrivateKey>;
  /**
   * Opens what {@link encrypt} sealed for the same `kid`.
   *
   * @throws Error that says why: another wrapping key, or content that fails authentication.
   */
  decrypt(sealed: SealedPrivateKey, kid: string): Promise<Uint8Array>;
}

const AES_GCM = 'A256GCM';

/**
 * AES-256-GCM under a 32-byte key held by the process (`SIGNING_KEYS_ENCRYPTION_KEY`). The
 * key id is a fingerprint of the key (a truncated SHA-256 under a label of its own), and the
 * kid is the associated data: a sealed file moved under another key's name fails to open.
 */
export class AesGcmKeyEncryption implements KeyEncryption {
  readonly keyId: string;
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) {
      throw new TypeError(`AesGcmKeyEncryption needs a 32-byte key (SIGNING_KEYS_ENCRYPTION_KEY), got ${key.length} bytes`);
    }
    this.key = Buffer.from(key);
    this.keyId = `sha256:${createHash('sha256').update('signing-keys-encryption-key\0').update(this.key).digest('base64url').slice(0, 16)}`;
  }

  async encrypt(plaintext: Uint8Array, kid: string): Promise<SealedPrivateKey> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      alg: AES_GCM,
      keyId: this.keyId,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
    };
  }

  async decrypt(sealed: SealedPrivateKey, kid: string): Promise<Uint8Array> {
    if (sealed.alg !== AES_GCM) throw new Error(`it was sealed with ${sealed.alg}, not ${AES_GCM}`);
    if (sealed.keyId !== this.keyId) {
      throw new Error(`it was encrypted with key ${sealed.keyId}, but SIGNING_KEYS_ENCRYPTION_KEY is key ${this.keyId}`);
    }
    if (!sealed.iv || !sealed.tag) throw new Error('its iv or authentication tag is missing');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64url'), {
        // Without it Node accepts a truncated tag, which is easier to forge.
        authTagLength: 16,
      });
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64url')), decipher.final()]);
    } catch {
      throw new Error('it fails authentication: the file was altered or belongs to another kid');
    }
  }
}
