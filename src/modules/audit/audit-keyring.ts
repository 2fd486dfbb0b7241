import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../../platform/config.js';

/** Shortest audit key accepted, in characters (a generated one has 43: 32 bytes in base64url). */
export const MIN_AUDIT_KEY_LENGTH = 32;

/** One HMAC key of the audit log and the id rows name it by. */
export interface AuditKey {
  /** First 16 hex digits of the SHA-256 of the key's UTF-8 bytes (`printf %s "$KEY" | sha256sum | cut -c1-16`). */
  id: string;
  secret: Buffer;
}

/** The id an audit row stores for `secret`: the first 16 hex digits of its SHA-256. */
export function auditKeyId(secret: Buffer): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/**
 * The keys the audit log knows: the current one (new rows are HMAC-ed under it) and older
 * ones kept to verify the rows written before a rotation. Rows name their key by id; a row
 * naming a key that is not here fails verification.
 */
export class AuditKeyring {
  private readonly byId = new Map<string, AuditKey>();

  private constructor(
    /** The key new rows are written under; undefined for a verify-only keyring without one. */
    readonly current: AuditKey | undefined,
    older: AuditKey[],
  ) {
    for (const key of [...(current ? [current] : []), ...older]) if (!this.byId.has(key.id)) this.byId.set(key.id, key);
  }

  /**
   * A keyring from key texts (each at least 32 characters; the key is its UTF-8 bytes).
   *
   * @throws TypeError when a key is shorter than 32 characters.
   */
  static of(current: string | undefined, older: readonly string[] = []): AuditKeyring {
    return new AuditKeyring(current === undefined ? undefined : keyOf(current, 'the current audit key'), older.map((k, i) => keyOf(k, `old audit key #${i + 1}`)));
  }

  /** The key with this id, if the keyring holds it. */
  get(id: string): AuditKey | undefined {
    return this.byId.get(id);
  }

  /** Ids of every key held, the current one first. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** This keyring plus the older keys of `other` it lacks (same current key). */
  merge(other: AuditKeyring): AuditKeyring {
    return new AuditKeyring(this.current, [...this.byId.values(), ...other.byId.values()]);
  }
}

function keyOf(text: string, what: string): AuditKey {
  if (text.length < MIN_AUDIT_KEY_LENGTH) {
    throw new TypeError(`${what} must hold at least ${MIN_AUDIT_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
  }
  const secret = Buffer.from(text, 'utf8');
  return { id: auditKeyId(secret), secret };
}

/** Where the audit keys come from (see {@link loadAuditKeyring}). */
export interface AuditKeySource {
  /** `AUDIT_HMAC_KEY`: the current key; wins over `keyFile` when set. */
  key: string | undefined;
  /** File holding the current key when `key` is unset (`$DATA_DIR/secrets/audit.key`). */
  keyFile: string;
  /** `AUDIT_HMAC_KEYS_OLD`: keys of earlier rows, kept to verify them after a rotation. */
  oldKeys: readonly string[];
  /** `key` must be set, no file instead (production: the key lives in the secret store, not on a disk by the data). @default false */
  keyRequired?: boolean;
}

/** The audit keys' source in the process configuration (`AUDIT_HMAC_KEY`, `$DATA_DIR/secrets/audit.key`, `AUDIT_HMAC_KEYS_OLD`). */
export function auditKeySourceOf(config: Pick<AppConfig, 'nodeEnv' | 'auditHmacKey' | 'auditHmacKeyFile' | 'auditHmacKeysOld'>): AuditKeySource {
  return { key: config.auditHmacKey, keyFile: config.auditHmacKeyFile, oldKeys: config.auditHmacKeysOld, keyRequired: config.nodeEnv === 'production' };
}

/**
 * Loads the audit keyring: the current key from `key`, else from `keyFile`. With `create`
 * (the server) a missing file is created with 32 random bytes (base64url, mode 0600, in a
 * 0700 directory); without it (the verifier, which must never invent a key) a missing file
 * leaves the keyring without a current key, and only `oldKeys` verify.
 *
 * @throws Error when a key or the file's content is shorter than 32 characters, or `keyRequired`
 *   and `key` is unset.
 */
export async function loadAuditKeyring(source: AuditKeySource, options: { create: boolean }): Promise<AuditKeyring> {
  let current = source.key !== undefined && source.key !== '' ? source.key : undefined;
  let origin = 'AUDIT_HMAC_KEY';
  if (current === undefined && source.keyRequired) {
    throw new Error(
      'Invalid configuration: production needs AUDIT_HMAC_KEY in every process that writes or verifies the audit log ' +
        '(new rows are HMAC-ed under it; e.g. `openssl rand -base64 32`, the same everywhere, kept outside the database)',
    );
  }
  if (current === undefined) {
    const file = path.resolve(source.keyFile);
    origin = `audit key file ${file}`;
    current = await readIfExists(file);
    if (current === undefined && options.create) {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await createKeyFile(file);
      current = await readFile(file, 'utf8');
    }
    current = current?.trim();
  }
  try {
    return AuditKeyring.of(current, source.oldKeys);
  } catch (error) {
    throw new Error(`${(error as Error).message}; check ${origin} and AUDIT_HMAC_KEYS_OLD`);
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

// Concurrent first starts: the key is written whole to a temp file, then linked into place;
// link(2) fails when the file exists, so exactly one key wins and nobody reads a partial one.
// (The keys module has the same helper; the audit module cannot import it: keys audits through us.)
async function createKeyFile(file: string): Promise<void> {
  const temp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${randomBytes(32).toString('base64url')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
}
