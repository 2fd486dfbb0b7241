// Small helpers shared by verifier.ts and status-list.ts. Not part of the kit's API.
import { EntitlementVerificationError } from './errors.js';

/** The three base64url parts of a compact JWS (the signature may be empty). */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True when `part` (base64url characters only, as {@link COMPACT_JWS} checks) is the only
 * spelling of its bytes: not 4n+1 characters long (no byte ends there), and no bit set in its
 * last character beyond the bytes it carries (4 spare bits after 1 byte, 2 after 2). What
 * decoding and encoding again would tell, without either.
 */
export function isCanonicalBase64url(part: string): boolean {
  const rest = part.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  return (BASE64URL.indexOf(part[part.length - 1]!) & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** Headers that carry a key, point at one or demand extensions: keys come only from the issuer's JWKS. */
export const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'] as const;

export function isHttpUrl(value: string): boolean {
  const url = parseUrl(value);
  return url !== undefined && (url.protocol === 'https:' || url.protocol === 'http:');
}

// Not URL.parse: that needs Node 22, and partners may run older LTS releases.
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

// One decoder for every call: making one costs more than decoding a token's JSON (a call
// without `stream` keeps no state between calls).
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const text = utf8.decode(bytes);
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isoDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/** A token-supplied value, quoted and cut short: safe in a log line or a terminal. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  // Escape what a terminal could act on (control and bidi characters) and anything non-ASCII.
  text = text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function reject(
  reason: EntitlementVerificationError['reason'],
  message: string,
  cause?: unknown,
): EntitlementVerificationError {
  return new EntitlementVerificationError(reason, message, cause === undefined ? undefined : { cause });
}
