import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

// Standard Webhooks (https://www.standardwebhooks.com), v1 signatures: HMAC-SHA256 over
// `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the base64 secret after `whsec_`.
//
// Written on node:crypto rather than the `standardwebhooks` package, which the tests use
// as the reference implementation: its `verify` takes one secret and fixes both the clock
// (`Date.now()`) and the tolerance (5 minutes), and it signs the body decoded as UTF-8
// rather than the bytes received. Rotation needs several secrets, and tests a frozen clock.

const SECRET_PREFIX = 'whsec_';
// The spec recommends keys of 24 to 64 bytes; anything shorter is refused as a configuration mistake.
const MIN_SECRET_BYTES = 24;
const GENERATED_SECRET_BYTES = 32;
const SIGNATURE_VERSION = 'v1';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UNIX_SECONDS = /^\d{1,15}$/;

/**
 * The three headers of a signed webhook, as sent. (A type rather than an interface, so it
 * passes as a plain header record: to `fetch`, or back to {@link verifyWebhook}.)
 */
export type SignedWebhookHeaders = {
  'webhook-id': string;
  /** Unix time in whole seconds. */
  'webhook-timestamp': string;
  /** One `v1,<base64 HMAC-SHA256>` per signing secret, space-separated. */
  'webhook-signature': string;
};

/** What {@link signWebhook} signs. */
export interface SignWebhookInput {
  /** The message id; the receiver dedupes by it, so a retried message keeps its id. */
  id: string;
  /** When the message is sent (each delivery attempt signs anew); truncated to whole seconds. */
  timestamp: Date;
  /** The exact body that will be sent. */
  body: string;
  /**
   * Secrets in the `whsec_<base64>` form. Each one adds a signature: during a rotation,
   * sign with the old and the new secret so a receiver that knows either accepts.
   */
  secrets: readonly string[];
}

/** Headers of a received request: Node's `IncomingHttpHeaders`, a plain record, or fetch `Headers`. */
export type WebhookRequestHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** How {@link verifyWebhook} judges a message. */
export interface VerifyWebhookOptions {
  /** Largest accepted difference between `webhook-timestamp` and now, either way. @default 300 */
  toleranceSeconds?: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** A message that passed verification. */
export interface VerifiedWebhook {
  /** Its `webhook-id`: the key to dedupe deliveries by. */
  id: string;
  /** Its `webhook-timestamp`. */
  timestamp: Date;
}

/**
 * Why a message was refused:
 * - `MISSING_HEADERS`: a `webhook-*` header is absent, or `webhook-timestamp` is not Unix seconds;
 * - `TIMESTAMP_OUT_OF_TOLERANCE`: signed too long ago (a replay) or too far in the future;
 * - `BAD_SIGNATURE`: no signature matches any configured secret (wrong secret or altered message).
 */
export type WebhookVerificationReason = 'MISSING_HEADERS' | 'TIMESTAMP_OUT_OF_TOLERANCE' | 'BAD_SIGNATURE';

/** A received webhook that must not be trusted; answer it with 401 and act on nothing in it. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** A fresh random secret in the standard `whsec_<base64>` form (32 bytes). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(GENERATED_SECRET_BYTES).toString('base64');
}

/**
 * Checks secrets for the `whsec_<base64>` form (at least 24 bytes), so a configuration
 * mistake fails at start-up rather than at the first delivery.
 *
 * @param setting What the secrets are configured as, for the message, e.g. `webhookSecrets`.
 * @throws TypeError naming `setting` and the position of the bad secret, never its value.
 */
export function assertWebhookSecrets(secrets: readonly string[], setting: string): void {
  decodeSecrets(setting, secrets);
}

/**
 * Signs a webhook with every secret given, Standard Webhooks v1.
 *
 * @throws TypeError when the id is empty, the timestamp invalid, no secret is given or a
 * secret is not in the `whsec_<base64>` form.
 */
export function signWebhook(input: SignWebhookInput): SignedWebhookHeaders {
  const { id, timestamp, body, secrets } = input;
  if (!id || /[\s,]/.test(id)) throw new TypeError('signWebhook: id must be non-empty, without spaces or commas');
  if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) {
    throw new TypeError('signWebhook: timestamp must be a valid Date');
  }
  const keys = decodeSecrets('signWebhook', secrets);
  const seconds = String(Math.floor(timestamp.getTime() / 1000));
  return {
    'webhook-id': id,
    'webhook-timestamp': seconds,
    'webhook-signature': keys.map((key) => `${SIGNATURE_VERSION},${hmac(key, id, seconds, body)}`).join(' '),
  };
}

/**
 * Verifies a received webhook against the configured secrets: accepted when any
 * signature in `webhook-signature` matches any secret (compared in constant time), and
 * `webhook-timestamp` is within `toleranceSeconds` of now. Signatures of versions other
 * than `v1` are ignored, as the spec asks.
 *
 * @param body The raw body as received, before any JSON parsing.
 * @throws WebhookVerificationError with its `reason` when the message must be refused.
 * @throws TypeError when no secret is configured or one is malformed (a configuration mistake).
 */
export function verifyWebhook(
  body: string | Buffer,
  headers: WebhookRequestHeaders,
  secrets: readonly string[],
  options: VerifyWebhookOptions = {},
): VerifiedWebhook {
  const { toleranceSeconds = 300, now = () => new Date() } = options;
  if (!(toleranceSeconds >= 0)) throw new TypeError(`verifyWebhook: toleranceSeconds must be 0 or more, got ${toleranceSeconds}`);
  const keys = decodeSecrets('verifyWebhook', secrets);

  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  const missing = [
    ...(id ? [] : ['webhook-id']),
    ...(timestampText ? [] : ['webhook-timestamp']),
    ...(signatures ? [] : ['webhook-signature']),
  ];
  if (missing.length > 0) {
    throw new WebhookVerificationError('MISSING_HEADERS', `Missing webhook header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }
  if (!UNIX_SECONDS.test(timestampText!)) {
    throw new WebhookVerificationError('MISSING_HEADERS', 'webhook-timestamp must be a Unix time in whole seconds');
  }

  const timestampSeconds = Number(timestampText);
  const nowSeconds = Math.floor(now().getTime() / 1000);
  if (Math.abs(nowSeconds - timestampSeconds) > toleranceSeconds) {
    const direction = timestampSeconds < nowSeconds ? 'too old' : 'too far in the future';
    throw new WebhookVerificationError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `webhook-timestamp is ${direction}: ${Math.abs(nowSeconds - timestampSeconds)} s from now, tolerance ${toleranceSeconds} s`,
    );
  }

  const expected = keys.map((key) => Buffer.from(hmac(key, id!, timestampText!, body)));
  const presented = signatures!
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === SIGNATURE_VERSION && value)
    .map(([, value]) => Buffer.from(value!));
  // Every pair is compared, so the time taken does not tell which secret or signature matched.
  let matched = false;
  for (const candidate of presented) {
    for (const signature of expected) {
      if (candidate.length === signature.length && timingSafeEqual(candidate, signature)) matched = true;
    }
  }
  if (!matched) {
    throw new WebhookVerificationError('BAD_SIGNATURE', 'No webhook signature matches a configured secret');
  }
  return { id: id!, timestamp: new Date(timestampSeconds * 1000) };
}

function hmac(key: KeyObject, id: string, seconds: string, body: string | Buffer): string {
  return createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest('base64');
}

// Key objects by secret, made once: createHmac imports a Buffer key anew on every call, which on
// Node 24 costs several times the HMAC itself (a webhook is signed for every provisioning event).
const keyObjects = new Map<string, KeyObject>();

function decodeSecrets(label: string, secrets: readonly string[]): KeyObject[] {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError(`${label}: set at least one webhook secret (whsec_<base64>, e.g. from generateWebhookSecret())`);
  }
  return secrets.map((secret, index) => {
    const known = keyObjects.get(secret);
    if (known) return known;
    const encoded = typeof secret === 'string' && secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : null;
    const key = encoded !== null && BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : null;
    // The message names the secret's position, never its value.
    if (!key || key.length < MIN_SECRET_BYTES) {
      throw new TypeError(`${label}: webhook secret #${index + 1} must be whsec_ followed by the base64 of at least ${MIN_SECRET_BYTES} random bytes`);
    }
    const keyObject = createSecretKey(key);
    keyObjects.set(secret, keyObject);
    return keyObject;
  });
}

function header(headers: WebhookRequestHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name)?.trim() || undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = name in record ? name : Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  // A repeated header is ambiguous; the first occurrence is the one considered.
  const text = typeof value === 'string' ? value : value?.[0];
  return text?.trim() || undefined;
}
