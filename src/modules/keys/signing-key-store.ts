import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { createFileExclusively, ensurePrivateDirectory, errorCode, replaceFileAtomically, withFileLock } from './exclusive-file.util.js';
import type { KeyEncryption, SealedPrivateKey } from './key-encryption.js';

/** One Ed25519 key pair, named by its RFC 7638 thumbprint. */
export interface SigningKey {
  /** RFC 7638 JWK thumbprint (SHA-256) of the public key; the tokens' `kid` header. */
  kid: string;
  alg: 'EdDSA';
  /** Non-extractable private key; it signs and never leaves the process. */
  privateKey: CryptoKey;
  /** The public half as published in the JWKS. */
  publicJwk: JWK;
}

/** Where entitlement-token signing keys come from. */
export interface SigningKeyStore {
  /** The key that signs new tokens. */
  signingKey(): Promise<SigningKey>;
  /**
   * Public keys to publish in the JWKS: each `{ kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' }`,
   * never private parts. Several during a rotation; one of them is the signing key.
   */
  publicJwks(): Promise<JWK[]>;
  /** Public key for a kid, or `undefined` when unknown, retired or revoked (our own verification). */
  publicKey(kid: string): Promise<CryptoKey | undefined>;
}

/** Where a key is in its life, at the store's clock. */
export type KeyStatus =
  /** Published in the JWKS, not signing yet (its `activatesAt` is ahead). */
  | 'pending'
  /** Signs new tokens. */
  | 'signing'
  /** Replaced by a newer key; still published and verifying until `retiresAt`. */
  | 'verifying'
  /** Past `retiresAt`: every token it signed has expired; gone from the JWKS. */
  | 'retired'
  /** Revoked: gone from the JWKS at once, verifies nothing. */
  | 'revoked';

/** One key of the schedule (`current.json`). */
export interface ScheduledKey {
  kid: string;
  status: KeyStatus;
  /** When it was generated; absent for keys from a version 1 manifest. */
  createdAt?: Date;
  /** From then on it is in the JWKS. */
  publishedAt: Date;
  /** From then on it signs, unless a newer key has activated. */
  activatesAt: Date;
  /** From then on it is gone from the JWKS and verifies nothing. */
  retiresAt?: Date;
  revokedAt?: Date;
}

/** Options of {@link FileSigningKeyStore.open}. */
export interface FileSigningKeyStoreOptions {
  /** The clock every schedule decision is taken by. @default () => new Date() */
  now?: () => Date;
  /**
   * Seals private key files at rest. Without it new files hold the plaintext JWK (mode 0600);
   * with it plaintext files stay readable and are sealed by the next rotate or revoke.
   */
  encryption?: KeyEncryption;
  /**
   * How often the manifest is re-read, so a rotation made by another process (the `keys` CLI,
   * another replica) takes effect without a restart; 0 re-reads on every call. @default 3000
   */
  reloadIntervalMs?: number;
  /** Called when a background re-read fails; the store keeps serving the keys it has. @default ignore */
  onReloadError?: (error: unknown) => void;
}

/** Options of {@link FileSigningKeyStore.rotate}. */
export interface RotateOptions {
  /** Seconds the new key is published before it signs (`SIGNING_KEY_ROTATION_LEAD_SECONDS`). */
  leadTimeSeconds: number;
  /** Lifetime of the tokens the replaced key signed (`TOKEN_TTL_SECONDS`): how long it must still verify. */
  tokenTtlSeconds: number;
  /** Clock skew partners may allow on `exp`, added to the replaced key's life. @default 60 */
  clockToleranceSeconds?: number;
}

/** Options of {@link FileSigningKeyStore.revoke}. */
export interface RevokeOptions {
  /**
   * Token lifetime used if the revocation leaves a key that a later, already scheduled key
   * replaces (its retirement is then rescheduled). @default 86400, the longest `TOKEN_TTL_SECONDS`
   */
  tokenTtlSeconds?: number;
  /** @default 60 */
  clockToleranceSeconds?: number;
}

/** What {@link FileSigningKeyStore.revoke} did. */
export interface RevokeResult {
  revoked: ScheduledKey;
  /** The key that signs from now on, when the revoked key was the signing key. */
  replacement?: ScheduledKey;
}

const MANIFEST_FILE = 'current.json';
const LOCK_FILE = 'current.json.lock';
// A SHA-256 thumbprint in base64url; also keeps a tampered manifest from naming paths outside the directory.
const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
const LONGEST_TOKEN_TTL_SECONDS = 86_400;
// Retired and revoked keys stay listed (and their files kept) this long, then a write drops them.
const PRUNE_AFTER_MS = 24 * 3600_000;
// The first key has no predecessor: valid whatever the clock of a process reading it says.
const BEGINNING = new Date(0).toISOString();

const kidSchema = z.string().regex(KID_PATTERN);
const instant = z.iso.datetime();

const manifestV1Schema = z.object({
  version: z.literal(1),
  /** kid of the key that signs new tokens. */
  signing: kidSchema,
  /** kids whose public keys are published (includes `signing`). */
  published: z.array(kidSchema).min(1),
});

const manifestKeySchema = z.object({
  kid: kidSchema,
  createdAt: instant.optional(),
  publishedAt: instant,
  activatesAt: instant,
  retiresAt: instant.optional(),
  revokedAt: instant.optional(),
});
type ManifestKey = z.infer<typeof manifestKeySchema>;

const manifestV2Schema = z.object({
  version: z.literal(2),
  /** In the order they were created; of two keys activating at once, the later one signs. */
  keys: z.array(manifestKeySchema).min(1),
});
type Manifest = z.infer<typeof manifestV2Schema>;

const manifestSchema = z.discriminatedUnion('version', [manifestV1Schema, manifestV2Schema]);

const privateJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: kidSchema,
});
type PrivateJwk = z.infer<typeof privateJwkSchema>;

const sealedFileSchema = z.object({
  kid: kidSchema,
  encrypted: z.object({
    alg: z.string().min(1),
    keyId: z.string().min(1),
    ciphertext: z.string().min(1),
    iv: z.string().optional(),
    tag: z.string().optional(),
  }),
});

interface LoadedKey {
  signing: SigningKey;
  publicKey: CryptoKey;
}

/** A manifest key with its instants as epoch milliseconds. */
interface Entry {
  kid: string;
  createdAt?: number;
  publishedAt: number;
  activatesAt: number;
  retiresAt?: number;
  revokedAt?: number;
}

interface State {
  /** The manifest as last read, to tell whether it changed. */
  text: string;
  entries: Entry[];
  keys: ReadonlyMap<string, LoadedKey>;
}

/**
 * Signing keys kept as JWK files in one directory (mode 0700): `<kid>.private.jwk.json`
 * (mode 0600, sealed when an {@link KeyEncryption} is given) per key, and `current.json`, the
 * schedule: per key when it is published, when it starts signing, when it retires and whether
 * it was revoked. Every decision is taken at call time by the store's clock, so a scheduled
 * key starts signing on its own; the manifest is re-read every few seconds, so operations
 * made by other processes take effect without a restart.
 *
 * Rotation publishes the new key a lead time before it signs (partners' cached JWKS learn it
 * first) and keeps the replaced one until every token it signed has expired.
 */
export class FileSigningKeyStore implements SigningKeyStore {
  private readonly now: () => Date;
  private readonly encryption: KeyEncryption | undefined;
  private readonly reloadIntervalMs: number;
  private readonly onReloadError: (error: unknown) => void;
  private state: State = { text: '', entries: [], keys: new Map() };
  private checkedAt = Number.NEGATIVE_INFINITY;
  private reloading: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    options: FileSigningKeyStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.encryption = options.encryption;
    this.reloadIntervalMs = options.reloadIntervalMs ?? 3000;
    this.onReloadError = options.onReloadError ?? (() => {});
  }

  /**
   * Opens the directory; on first use generates an Ed25519 key pair and stores it.
   * Concurrent first starts (several processes or calls) agree on a single current key.
   * A version 1 manifest is read as is and rewritten as version 2 by the next operation.
   *
   * @throws Error when the directory holds a malformed or inconsistent key file, or one that
   *   cannot be decrypted.
   */
  static async open(dir: string, options: FileSigningKeyStoreOptions = {}): Promise<FileSigningKeyStore> {
    const keysDir = path.resolve(dir);
    await ensurePrivateDirectory(keysDir);
    const store = new FileSigningKeyStore(keysDir, options);
    if ((await readManifestText(keysDir)) === undefined) await store.createFirstKey();
    await store.reload();
    return store;
  }

  async signingKey(): Promise<SigningKey> {
    await this.refresh();
    const now = this.now().getTime();
    const entry = signingEntry(this.state.entries, now);
    const key = entry && this.state.keys.get(entry.kid);
    if (!key) {
      throw new Error(
        `No signing key is active in ${this.dir} at ${new Date(now).toISOString()}: every key is revoked, retired or not active yet; ` +
          'run `npm run -s keys -- rotate --lead 0`',
      );
    }
    return key.signing;
  }

  async publicJwks(): Promise<JWK[]> {
    await this.refresh();
    const now = this.now().getTime();
    // Copies, so a caller mutating the document cannot alter what we publish next time.
    return this.state.entries
      .filter((entry) => isPublished(entry, now))
      .flatMap((entry) => {
        const key = this.state.keys.get(entry.kid);
        return key ? [{ ...key.signing.publicJwk }] : [];
      });
  }

  async publicKey(kid: string): Promise<CryptoKey | undefined> {
    await this.refresh();
    const entry = this.state.entries.find((e) => e.kid === kid);
    if (!entry || !isPublished(entry, this.now().getTime())) return undefined;
    return this.state.keys.get(kid)?.publicKey;
  }

  /** The schedule as last read, with each key's status at the store's clock. */
  async schedule(): Promise<ScheduledKey[]> {
    await this.refresh();
    return describeSchedule(this.state.entries, this.now().getTime());
  }

  /**
   * Re-reads the manifest now and loads keys that appeared. Automatic every
   * `reloadIntervalMs`; call it after an operation elsewhere that must take effect at once.
   */
  async reload(): Promise<void> {
    this.reloading ??= this.readState().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /**
   * Generates a key, published now and signing `leadTimeSeconds` from now. The keys it
   * replaces retire once every token they may sign until then has expired: at its activation
   * plus `tokenTtlSeconds` plus the clock tolerance.
   */
  async rotate(options: RotateOptions): Promise<ScheduledKey> {
    const lead = nonNegativeSeconds('leadTimeSeconds', options.leadTimeSeconds);
    const window = retirementWindowMs(options.tokenTtlSeconds, options.clockToleranceSeconds);
    const kid = await this.update(async (entries, now) => {
      const kid = await this.generateKey();
      entries.push({ kid, createdAt: now, publishedAt: now, activatesAt: now + lead * 1000 });
      scheduleRetirements(entries, now, window);
      return kid;
    });
    return (await this.schedule()).find((k) => k.kid === kid)!;
  }

  /**
   * Revokes a key at once: it leaves the JWKS and verifies nothing from now on. When it was
   * the signing key, a new key is published and signs at once, so issuing never stops.
   * Revoking a revoked key changes nothing.
   *
   * @throws Error when no key has that kid.
   */
  async revoke(kid: string, options: RevokeOptions = {}): Promise<RevokeResult> {
    const window = retirementWindowMs(options.tokenTtlSeconds ?? LONGEST_TOKEN_TTL_SECONDS, options.clockToleranceSeconds);
    const replacementKid = await this.update(async (entries, now) => {
      const entry = entries.find((e) => e.kid === kid);
      if (!entry) throw new Error(`No signing key has kid "${kid}" in ${this.dir}`);
      if (entry.revokedAt !== undefined) return undefined;
      const wasSigning = signingEntry(entries, now) === entry;
      entry.revokedAt = now;
      let replacement: string | undefined;
      if (wasSigning) {
        replacement = await this.generateKey();
        entries.push({ kid: replacement, createdAt: now, publishedAt: now, activatesAt: now });
      }
      scheduleRetirements(entries, now, window);
      return replacement;
    });
    const schedule = await this.schedule();
    const revoked = schedule.find((k) => k.kid === kid)!;
    const replacement = replacementKid ? schedule.find((k) => k.kid === replacementKid) : undefined;
    return replacement ? { revoked, replacement } : { revoked };
  }

  private async refresh(): Promise<void> {
    if (performance.now() - this.checkedAt < this.reloadIntervalMs) return;
    try {
      await this.reload();
    } catch (error) {
      // Keep serving the keys we have: a bad edit must not take signing or the JWKS down.
      this.onReloadError(error);
    }
  }

  private async readState(): Promise<void> {
    this.checkedAt = performance.now();
    const file = path.join(this.dir, MANIFEST_FILE);
    const text = await readManifestText(this.dir);
    if (text === undefined) throw new Error(`Signing key manifest ${file} is missing; restore it from backup`);
    if (text === this.state.text) return;
    const entries = toEntries(parseManifest(text, file));
    const now = this.now().getTime();
    const keys = new Map<string, LoadedKey>();
    for (const entry of entries) {
      // Retired and revoked keys verify nothing: their files need not (and may no longer) exist.
      if (!isUsable(entry, now)) continue;
      keys.set(entry.kid, this.state.keys.get(entry.kid) ?? (await loadKey(this.dir, entry.kid, this.encryption)));
    }
    this.state = { text, entries, keys };
  }

  /**
   * Read-modify-write of the manifest under the directory's lock, re-reading it first, so
   * operations from several processes never lose one another's changes. Also seals plaintext
   * key files (when encrypting) and drops keys retired or revoked long ago.
   */
  private async update<T>(change: (entries: Entry[], now: number) => Promise<T>): Promise<T> {
    const file = path.join(this.dir, MANIFEST_FILE);
    const result = await withFileLock(path.join(this.dir, LOCK_FILE), async () => {
      const text = await readManifestText(this.dir);
      if (text === undefined) throw new Error(`Signing key manifest ${file} is missing; restore it from backup`);
      const entries = toEntries(parseManifest(text, file));
      const now = this.now().getTime();
      const result = await change(entries, now);
      const kept = entries.filter((e) => !isPrunable(e, now));
      // Key files are written before the manifest names them, and removed only after it no longer does.
      if (this.encryption) for (const entry of kept) await this.sealIfPlaintext(entry.kid);
      await replaceFileAtomically(file, serializeManifest(kept), 0o600);
      for (const entry of entries) if (!kept.includes(entry)) await rm(privateKeyPath(this.dir, entry.kid), { force: true });
      return result;
    });
    await this.reload();
    return result;
  }

  /** Generates a key pair and writes its file; returns its kid. */
  private async generateKey(): Promise<string> {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    const { kty, crv, x, d } = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint({ kty: kty!, crv: crv!, x: x! }, 'sha256');
    const jwk = privateJwkSchema.parse({ kty, crv, x, d, kid });
    await createFileExclusively(privateKeyPath(this.dir, kid), await keyFileText(jwk, this.encryption), 0o600);
    return kid;
  }

  /** The first key; when another starter wins the race, its key becomes ours too. */
  private async createFirstKey(): Promise<void> {
    const kid = await this.generateKey();
    const now = this.now().getTime();
    const manifest: Manifest = {
      version: 2,
      keys: [{ kid, createdAt: new Date(now).toISOString(), publishedAt: BEGINNING, activatesAt: BEGINNING }],
    };
    const won = await createFileExclusively(path.join(this.dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    // Lost the race: our key never signed anything, so drop it and adopt the winner's.
    if (!won) await rm(privateKeyPath(this.dir, kid), { force: true });
  }

  private async sealIfPlaintext(kid: string): Promise<void> {
    const file = privateKeyPath(this.dir, kid);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // A retired or revoked key's file may be gone already; a usable key's absence is reported on load.
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    const plain = privateJwkSchema.safeParse(parseJson(text));
    if (!plain.success) return;
    await replaceFileAtomically(file, await keyFileText(plain.data, this.encryption), 0o600);
  }
}

function privateKeyPath(dir: string, kid: string): string {
  return path.join(dir, `${kid}.private.jwk.json`);
}

async function readManifestText(dir: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parses either manifest version into version 2 (a version 1 manifest is rewritten on the next write). */
function parseManifest(text: string, file: string): Manifest {
  const parsed = manifestSchema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new Error(`Signing key manifest ${file} is malformed (${parsed.error.message}); restore it from backup`);
  }
  const manifest = parsed.data;
  if (manifest.version === 1) {
    if (!manifest.published.includes(manifest.signing)) {
      throw new Error(`Signing key manifest ${file} must list its signing kid under "published"`);
    }
    // Every published key was valid already; listing the signing key last makes it the newest.
    const others = [...new Set(manifest.published)].filter((kid) => kid !== manifest.signing);
    return {
      version: 2,
      keys: [...others, manifest.signing].map((kid) => ({ kid, publishedAt: BEGINNING, activatesAt: BEGINNING })),
    };
  }
  const kids = manifest.keys.map((k) => k.kid);
  if (new Set(kids).size !== kids.length) throw new Error(`Signing key manifest ${file} lists a kid twice`);
  return manifest;
}

function toEntries(manifest: Manifest): Entry[] {
  const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
  return manifest.keys.map((k) => ({
    kid: k.kid,
    ...(k.createdAt !== undefined ? { createdAt: ms(k.createdAt)! } : {}),
    publishedAt: ms(k.publishedAt)!,
    activatesAt: ms(k.activatesAt)!,
    ...(k.retiresAt !== undefined ? { retiresAt: ms(k.retiresAt)! } : {}),
    ...(k.revokedAt !== undefined ? { revokedAt: ms(k.revokedAt)! } : {}),
  }));
}

function serializeManifest(entries: Entry[]): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const keys: ManifestKey[] = entries.map((e) => ({
    kid: e.kid,
    ...(e.createdAt !== undefined ? { createdAt: iso(e.createdAt) } : {}),
    publishedAt: iso(e.publishedAt),
    activatesAt: iso(e.activatesAt),
    ...(e.retiresAt !== undefined ? { retiresAt: iso(e.retiresAt) } : {}),
    ...(e.revokedAt !== undefined ? { revokedAt: iso(e.revokedAt) } : {}),
  }));
  return `${JSON.stringify({ version: 2, keys } satisfies Manifest, null, 2)}\n`;
}

/** Not revoked and not retired: it may sign (once active) and verify (once published). */
function isUsable(entry: Entry, now: number): boolean {
  return entry.revokedAt === undefined && (entry.retiresAt === undefined || entry.retiresAt > now);
}

function isPublished(entry: Entry, now: number): boolean {
  return isUsable(entry, now) && entry.publishedAt <= now;
}

/** The newest usable key already active; of two activating at once, the later listed. */
function signingEntry(entries: readonly Entry[], now: number): Entry | undefined {
  let newest: Entry | undefined;
  for (const entry of entries) {
    if (isUsable(entry, now) && entry.activatesAt <= now && (!newest || entry.activatesAt >= newest.activatesAt)) newest = entry;
  }
  return newest;
}

function isPrunable(entry: Entry, now: number): boolean {
  const ended = entry.revokedAt ?? entry.retiresAt;
  return ended !== undefined && ended <= now - PRUNE_AFTER_MS;
}

/**
 * Gives each usable key the retirement its successors call for: the earliest activation of a
 * usable key that replaces it, plus `windowMs` (its tokens' lifetime and clock tolerance).
 * A key nothing replaces any more (its successor was revoked before activating) keeps signing
 * and loses its retirement; a retirement is otherwise never brought forward.
 */
function scheduleRetirements(entries: Entry[], now: number, windowMs: number): void {
  entries.forEach((entry, index) => {
    if (!isUsable(entry, now)) return;
    let successor: number | undefined;
    entries.forEach((other, otherIndex) => {
      if (other.revokedAt !== undefined) return;
      const replaces = other.activatesAt > entry.activatesAt || (other.activatesAt === entry.activatesAt && otherIndex > index);
      if (replaces && (successor === undefined || other.activatesAt < successor)) successor = other.activatesAt;
    });
    if (successor === undefined) delete entry.retiresAt;
    else entry.retiresAt = Math.max(entry.retiresAt ?? 0, successor + windowMs);
  });
}

function describeSchedule(entries: readonly Entry[], now: number): ScheduledKey[] {
  const signing = signingEntry(entries, now);
  const statusOf = (e: Entry): KeyStatus => {
    if (e.revokedAt !== undefined) return 'revoked';
    if (e.retiresAt !== undefined && e.retiresAt <= now) return 'retired';
    if (e === signing) return 'signing';
    return e.activatesAt > now ? 'pending' : 'verifying';
  };
  return entries.map((e) => ({
    kid: e.kid,
    status: statusOf(e),
    ...(e.createdAt !== undefined ? { createdAt: new Date(e.createdAt) } : {}),
    publishedAt: new Date(e.publishedAt),
    activatesAt: new Date(e.activatesAt),
    ...(e.retiresAt !== undefined ? { retiresAt: new Date(e.retiresAt) } : {}),
    ...(e.revokedAt !== undefined ? { revokedAt: new Date(e.revokedAt) } : {}),
  }));
}

function nonNegativeSeconds(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer number of seconds, got ${value}`);
  return value;
}

function retirementWindowMs(tokenTtlSeconds: number, clockToleranceSeconds = DEFAULT_CLOCK_TOLERANCE_SECONDS): number {
  if (!Number.isInteger(tokenTtlSeconds) || tokenTtlSeconds <= 0) {
    throw new TypeError(`tokenTtlSeconds must be a positive integer (TOKEN_TTL_SECONDS), got ${tokenTtlSeconds}`);
  }
  return (tokenTtlSeconds + nonNegativeSeconds('clockToleranceSeconds', clockToleranceSeconds)) * 1000;
}

async function keyFileText(jwk: PrivateJwk, encryption: KeyEncryption | undefined): Promise<string> {
  if (!encryption) return `${JSON.stringify(jwk, null, 2)}\n`;
  const encrypted = await encryption.encrypt(Buffer.from(JSON.stringify(jwk), 'utf8'), jwk.kid);
  return `${JSON.stringify({ kid: jwk.kid, encrypted }, null, 2)}\n`;
}

/** The private JWK in a key file, decrypting it when sealed. */
async function readPrivateJwk(file: string, kid: string, encryption: KeyEncryption | undefined): Promise<unknown> {
  const content = parseJson(await readFile(file, 'utf8'));
  const sealed = sealedFileSchema.safeParse(content);
  if (!sealed.success) return content;
  const { keyId } = sealed.data.encrypted;
  if (sealed.data.kid !== kid) {
    throw new Error(`Signing key file ${file} does not hold the key its name says (kid ${sealed.data.kid})`);
  }
  if (!encryption) {
    throw new Error(`Signing key file ${file} is encrypted (key ${keyId}); set SIGNING_KEYS_ENCRYPTION_KEY to the key that encrypted it`);
  }
  let plaintext: Uint8Array;
  try {
    plaintext = await encryption.decrypt(sealed.data.encrypted as SealedPrivateKey, kid);
  } catch (error) {
    throw new Error(`Cannot decrypt signing key file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseJson(Buffer.from(plaintext).toString('utf8'));
}

async function loadKey(dir: string, kid: string, encryption: KeyEncryption | undefined): Promise<LoadedKey> {
  const file = privateKeyPath(dir, kid);
  const parsed = privateJwkSchema.safeParse(await readPrivateJwk(file, kid, encryption));
  if (!parsed.success) {
    throw new Error(`Signing key file ${file} is malformed (${parsed.error.message}); restore it from backup`);
  }
  const { kty, crv, x, d } = parsed.data;
  const publicParts = { kty, crv, x };
  // A file whose content does not match its name would publish one kid and sign with another.
  const thumbprint = await calculateJwkThumbprint(publicParts, 'sha256');
  if (thumbprint !== kid || parsed.data.kid !== kid) {
    throw new Error(`Signing key file ${file} does not hold the key its name says (thumbprint ${thumbprint})`);
  }
  const privateKey = await importJWK({ kty, crv, x, d }, 'EdDSA', { extractable: false });
  const publicKey = await importJWK(publicParts, 'EdDSA');
  const publicJwk: JWK = { kty, crv, x, kid, alg: 'EdDSA', use: 'sig' };
  return { signing: { kid, alg: 'EdDSA', privateKey, publicJwk }, publicKey };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
