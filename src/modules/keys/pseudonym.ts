import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createFileExclusively, errorCode } from './exclusive-file.util.js';

/** Shortest secret accepted, in characters (a generated one has 43: 32 bytes in base64url). */
const MIN_SECRET_LENGTH = 32;

/** Where the pseudonym secret comes from. */
export interface PseudonymSecretOptions {
  /** The secret itself (`PSEUDONYM_SECRET`); wins over `file` when set and non-empty. */
  secret?: string | undefined;
  /** File holding the secret; created with 32 random bytes (base64url, mode 0600) on first use. */
  file: string;
}

/**
 * Loads the pseudonym secret: the given string when set, else the file (created with 32 random
 * bytes, base64url, mode 0600, on first use).
 *
 * The key is the UTF-8 text of the secret in both cases, so copying the file's content into
 * `PSEUDONYM_SECRET` keeps every pseudonym. The secret is independent of the signing keys:
 * rotating those never changes a pseudonym; changing this does, for every member and partner.
 *
 * @throws Error when the secret or the file's content is shorter than 32 characters.
 */
export async function loadPseudonymSecret(options: PseudonymSecretOptions): Promise<Buffer> {
  if (options.secret !== undefined && options.secret !== '') {
    return secretBytes(options.secret, 'PSEUDONYM_SECRET');
  }
  const file = path.resolve(options.file);
  let text = await readIfExists(file);
  if (text === undefined) {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // Concurrent first starts: one creates the file, the others read what it wrote.
    await createFileExclusively(file, `${randomBytes(32).toString('base64url')}\n`, 0o600);
    text = await readFile(file, 'utf8');
  }
  return secretBytes(text.trim(), `pseudonym secret file ${file}`);
}

function secretBytes(secret: string, source: string): Buffer {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `The ${source} must hold at least ${MIN_SECRET_LENGTH} characters; ` +
        'restore the original (a new one changes every partner pseudonym)',
    );
  }
  return Buffer.from(secret, 'utf8');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Derives what a partner sees instead of a member id: stable per (member, partner), different
 * across partners, unlinkable without the secret.
 */
export class MemberPseudonymizer {
  // A key object made once: createHmac imports a Buffer key anew on every call, which on Node 24
  // costs several times the HMAC itself (the outbox derives one pseudonym per event it delivers).
  private readonly secret: KeyObject;

  /** @param secret at least 32 bytes, from {@link loadPseudonymSecret}. */
  constructor(secret: Buffer) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new TypeError(`The pseudonym secret must be at least ${MIN_SECRET_LENGTH} bytes; use loadPseudonymSecret()`);
    }
    // Our own copy: a caller reusing its buffer must not change every pseudonym.
    this.secret = createSecretKey(Buffer.from(secret));
  }

  /** `base64url(HMAC-SHA256(secret, "v1:" + partnerId + ":" + memberId))`. */
  forPartner(memberId: string, partnerId: string): string {
    if (memberId === '') throw new TypeError('memberId must not be empty');
    // Partner ids are slugs; a ":" in one would let two (partner, member) pairs share an input.
    if (partnerId === '' || partnerId.includes(':')) {
      throw new TypeError(`partnerId must be a non-empty slug without ":", got "${partnerId}"`);
    }
    return createHmac('sha256', this.secret).update(`v1:${partnerId}:${memberId}`, 'utf8').digest('base64url');
  }
}
