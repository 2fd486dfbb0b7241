import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The header carrying the gateway's signature on every subgraph request:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Subgraphs answer 401 to a
 * request without a valid one, before parsing the operation: `_entities` and `_service`
 * are only reachable through the gateway.
 */
export const SUBGRAPH_SIGNATURE_HEADER = 'x-gateway-signature';

/** How far a signature's timestamp may be from the subgraph's clock. */
const TOLERANCE_SECONDS = 300;
const MIN_SECRET_LENGTH = 32;

/** The signature header value for `body`, signed now (or at `now`). */
export function signSubgraphRequest(secret: string, body: string, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${mac(secret, t, body).toString('hex')}`;
}

/** Why a request was refused, or null when its signature is valid. */
export function verifySubgraphRequest(secret: string, header: string | undefined, body: string, now: Date = new Date()): string | null {
  if (!header) return 'missing signature';
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given)) return 'malformed signature';
  if (Math.abs(now.getTime() / 1000 - t) > TOLERANCE_SECONDS) return 'signature timestamp out of tolerance';
  return timingSafeEqual(mac(secret, t, body), Buffer.from(given, 'hex')) ? null : 'bad signature';
}

// The secret as a key object, made once (an HMAC keyed by a string imports the key on every call).
const keys = new Map<string, KeyObject>();

function mac(secret: string, t: number, body: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= 16) keys.clear();
    keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  }
  return createHmac('sha256', key).update(`${t}.`).update(body).digest();
}

/** A `fetch` that signs every request body it sends (for gateways other than ours, e.g. the benchmark's). */
export function signingFetch(secret: string, inner: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const headers = new Headers(init?.headers);
    headers.set(SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest(secret, body));
    return inner(input, { ...init, headers });
  };
}

/**
 * The secret the gateway signs subgraph requests with: `SUBGRAPH_SECRET` when set, else the
 * content of `file`, created with a random secret on first use (development: every process
 * sharing one DATA_DIR agrees on it). Production requires the setting (see loadConfig).
 *
 * @throws Error when the secret or the file's content is shorter than 32 characters.
 */
export async function loadSubgraphSecret(options: { secret?: string | undefined; file: string }): Promise<string> {
  if (options.secret) return checked(options.secret, 'SUBGRAPH_SECRET');
  const file = path.resolve(options.file);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // Concurrent first starts: one creates the file, the others read what it wrote.
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${randomBytes(32).toString('base64url')}\n`);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // A racing creator may not have written yet: read until the content is there.
  for (let attempt = 0; ; attempt++) {
    const text = (await readFile(file, 'utf8')).trim();
    if (text || attempt >= 20) return checked(text, `subgraph secret file ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function checked(secret: string, source: string): string {
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`The ${source} must hold at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`);
  return secret;
}
