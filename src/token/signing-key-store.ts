import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { createFileExclusively, ensurePrivateDirectory, errorCode } from './exclusive-file.util.js';

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
  /** Public key for a kid, or `undefined` when unknown (our own verification). */
  publicKey(kid: string): Promise<CryptoKey | undefined>;
}

const MANIFEST_FILE = 'current.json';
// A SHA-256 thumbprint in base64url; also keeps a tampered manifest from naming paths outside the directory.
const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const manifestSchema = z.object({
  version: z.literal(1),
  /** kid of the key that signs new tokens. */
  signing: z.string().regex(KID_PATTERN),
  /** kids whose public keys are published (includes `signing`). */
  published: z.array(z.string().regex(KID_PATTERN)).min(1),
});
type KeyManifest = z.infer<typeof manifestSchema>;

const privateJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().regex(KID_PATTERN),
});

interface LoadedKey {
  signing: SigningKey;
  publicKey: CryptoKey;
}

/**
 * Signing keys kept as JWK files in one directory (mode 0700):
 * `<kid>.private.jwk.json` (mode 0600) per key, and `current.json` naming the signing kid and the
 * published kids, so rotation can publish several public keys while one signs.
 * Keys are read once, at {@link FileSigningKeyStore.open}, and served from memory.
 */
export class FileSigningKeyStore implements SigningKeyStore {
  private constructor(
    private readonly current: SigningKey,
    private readonly keys: ReadonlyMap<string, LoadedKey>,
  ) {}

  /**
   * Opens the directory; on first use generates an Ed25519 key pair and stores it.
   * Concurrent first starts (several processes or calls) agree on a single current key.
   *
   * @throws Error when the directory holds a malformed or inconsistent key file.
   */
  static async open(dir: string): Promise<FileSigningKeyStore> {
    const keysDir = path.resolve(dir);
    await ensurePrivateDirectory(keysDir);
    const manifest = (await readManifest(keysDir)) ?? (await createFirstKey(keysDir));
    const keys = new Map<string, LoadedKey>();
    for (const kid of new Set([manifest.signing, ...manifest.published])) {
      keys.set(kid, await loadKey(keysDir, kid));
    }
    const current = keys.get(manifest.signing);
    if (!current) throw new Error(`Signing key ${manifest.signing} missing from ${keysDir}`);
    return new FileSigningKeyStore(current.signing, keys);
  }

  async signingKey(): Promise<SigningKey> {
    return this.current;
  }

  async publicJwks(): Promise<JWK[]> {
    // Copies, so a caller mutating the document cannot alter what we publish next time.
    return [...this.keys.values()].map(({ signing }) => ({ ...signing.publicJwk }));
  }

  async publicKey(kid: string): Promise<CryptoKey | undefined> {
    return this.keys.get(kid)?.publicKey;
  }
}

function privateKeyPath(dir: string, kid: string): string {
  return path.join(dir, `${kid}.private.jwk.json`);
}

async function readManifest(dir: string): Promise<KeyManifest | undefined> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = manifestSchema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new Error(`Signing key manifest ${file} is malformed (${parsed.error.message}); restore it from backup`);
  }
  if (!parsed.data.published.includes(parsed.data.signing)) {
    throw new Error(`Signing key manifest ${file} must list its signing kid under "published"`);
  }
  return parsed.data;
}

/** Generates the first key pair; when another starter wins the race, its key becomes ours too. */
async function createFirstKey(dir: string): Promise<KeyManifest> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const { kty, crv, x, d } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: kty!, crv: crv!, x: x! }, 'sha256');
  const keyFile = privateKeyPath(dir, kid);
  // The key file goes first, so whoever reads the manifest always finds the key it names.
  await createFileExclusively(keyFile, `${JSON.stringify({ kty, crv, x, d, kid }, null, 2)}\n`, 0o600);

  const manifest: KeyManifest = { version: 1, signing: kid, published: [kid] };
  const won = await createFileExclusively(
    path.join(dir, MANIFEST_FILE),
    `${JSON.stringify(manifest, null, 2)}\n`,
    0o600,
  );
  if (won) return manifest;

  // Lost the race: our key never signed anything, so drop it and adopt the winner's.
  await rm(keyFile, { force: true });
  const winner = await readManifest(dir);
  if (!winner) throw new Error(`Signing key manifest in ${dir} vanished while starting`);
  return winner;
}

async function loadKey(dir: string, kid: string): Promise<LoadedKey> {
  const file = privateKeyPath(dir, kid);
  const parsed = privateJwkSchema.safeParse(parseJson(await readFile(file, 'utf8')));
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
