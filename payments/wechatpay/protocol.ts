import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

// WeChat Pay API v3's wire protocol, both sides of it: what the adapter signs and verifies,
// and what the sandbox verifies and signs. Plain node:crypto (RSA-SHA256 PKCS#1 v1.5, AES-256-GCM);
// see README.md for why this is ours and not a library's.

/** The `Authorization` scheme of a merchant's request. */
export const AUTHORIZATION_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

/** Headers of a signed answer or notification (Node lower-cases header names). */
export const SIGNATURE_HEADERS = {
  timestamp: 'wechatpay-timestamp',
  nonce: 'wechatpay-nonce',
  signature: 'wechatpay-signature',
  serial: 'wechatpay-serial',
  signatureType: 'wechatpay-signature-type',
} as const;

/** How far a signed timestamp may be from our clock, either way (WeChat Pay's 5 minutes). */
export const CLOCK_TOLERANCE_SECONDS = 300;

/** The notification resource's cipher. */
export const RESOURCE_ALGORITHM = 'AEAD_AES_256_GCM';

/** The string a merchant signs: `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` (URL = path and query). */
export function requestMessage(method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string): string {
  return `${method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The string WeChat Pay signs on an answer or a notification: `TIMESTAMP\nNONCE\nBODY\n`. */
export function answerMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** Base64 RSA-SHA256 (PKCS#1 v1.5) signature of `message`. */
export function rsaSign(message: string, privateKey: KeyObject): string {
  return sign('sha256', Buffer.from(message, 'utf8'), privateKey).toString('base64');
}

/** Whether `signature` (base64) is `publicKey`'s RSA-SHA256 signature of `message`; false on any malformed input. */
export function rsaVerify(message: string, signature: string, publicKey: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** A 32-character random nonce (WeChat Pay's `nonce_str`). */
export function newNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** Unix time in whole seconds, as the protocol's timestamps are written. */
export function unixSeconds(epochMs: number): string {
  return String(Math.floor(epochMs / 1000));
}

/** Whether a signed timestamp (seconds, as a string) is within {@link CLOCK_TOLERANCE_SECONDS} of `nowMs`. */
export function timestampWithinTolerance(timestamp: string, nowMs: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(Number(timestamp) - nowMs / 1000) <= CLOCK_TOLERANCE_SECONDS;
}

/** The fields of a merchant's `Authorization` header. */
export interface AuthorizationFields {
  mchid: string;
  serial_no: string;
  timestamp: string;
  nonce_str: string;
  signature: string;
}

const AUTHORIZATION_KEYS = ['mchid', 'serial_no', 'timestamp', 'nonce_str', 'signature'] as const;

/** `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"`. */
export function authorizationHeader(fields: AuthorizationFields): string {
  return `${AUTHORIZATION_SCHEMA} mchid="${fields.mchid}",nonce_str="${fields.nonce_str}",timestamp="${fields.timestamp}",serial_no="${fields.serial_no}",signature="${fields.signature}"`;
}

/** The fields of an `Authorization` header (in any order), or why it cannot be read. */
export function parseAuthorization(header: string | undefined): AuthorizationFields | { problem: string } {
  if (!header) return { problem: 'no Authorization header' };
  const prefix = `${AUTHORIZATION_SCHEMA} `;
  if (!header.startsWith(prefix)) return { problem: `the Authorization scheme is not ${AUTHORIZATION_SCHEMA}` };
  const found: Partial<Record<string, string>> = {};
  for (const part of header.slice(prefix.length).split(',')) {
    const match = /^\s*([a-z_]+)="([^"]*)"\s*$/.exec(part);
    if (!match) return { problem: 'the Authorization parameters are not key="value" pairs' };
    const [, key, value] = match as unknown as [string, string, string];
    if (key in found) return { problem: `the Authorization parameter ${key} is given twice` };
    found[key] = value;
  }
  const missing = AUTHORIZATION_KEYS.filter((key) => !found[key]);
  if (missing.length > 0) return { problem: `the Authorization header lacks ${missing.join(', ')}` };
  return {
    mchid: found.mchid!,
    serial_no: found.serial_no!,
    timestamp: found.timestamp!,
    nonce_str: found.nonce_str!,
    signature: found.signature!,
  };
}

/** AEAD_AES_256_GCM as WeChat Pay uses it: base64 of the ciphertext followed by its 16-byte tag. */
export function encryptResource(plaintext: string, apiV3Key: string, nonce: string, associatedData: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const encrypted = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return encrypted.toString('base64');
}

/** The plaintext of {@link encryptResource}'s output; throws when the key, nonce, associated data or ciphertext do not match. */
export function decryptResource(ciphertext: string, apiV3Key: string, nonce: string, associatedData: string): string {
  const bytes = Buffer.from(ciphertext, 'base64');
  if (bytes.length <= 16) throw new Error('the ciphertext is shorter than its authentication tag');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
}

/** An RSA private key from PEM (PKCS#8 `apiclient_key.pem` or PKCS#1); throws a TypeError naming `what`. */
export function rsaPrivateKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new TypeError(`${what} is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`${what} is a ${key.asymmetricKeyType} key, not RSA`);
  return key;
}

/** An RSA public key from PEM (SPKI, PKCS#1, or an X.509 certificate); throws a TypeError naming `what`. */
export function rsaPublicKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new TypeError(`${what} is not a PEM public key or certificate`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`${what} is a ${key.asymmetricKeyType} key, not RSA`);
  return key;
}

// ---- Our ids on the wire --------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DASHLESS_UUID = /^[0-9a-f]{32}$/;
const OUT_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;

/**
 * Our id as an `out_trade_no` / `out_contract_code` (6–32 of `[A-Za-z0-9_-|*]`): a UUID (36
 * characters, our payment ids) loses its hyphens; any other id must already fit and must not
 * look like a hyphen-less UUID, so {@link fromOutNo} gives back exactly the id we sent.
 * Returns null for an id that cannot be sent.
 */
export function toOutNo(id: string): string | null {
  if (UUID.test(id)) return id.replace(/-/g, '').toLowerCase();
  if (!OUT_NO.test(id) || DASHLESS_UUID.test(id)) return null;
  return id;
}

/** Our id back from an `out_trade_no` / `out_contract_code` written by {@link toOutNo}. */
export function fromOutNo(outNo: string): string {
  if (!DASHLESS_UUID.test(outNo)) return outNo;
  return `${outNo.slice(0, 8)}-${outNo.slice(8, 12)}-${outNo.slice(12, 16)}-${outNo.slice(16, 20)}-${outNo.slice(20)}`;
}

// ---- Wire shapes -------------------------------------------------------------------------

/** `trade_state` of a transaction. */
export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR' | 'ACCEPT';

/** A transaction as `GET /v3/pay/transactions/out-trade-no/{id}` and the notification resource show it. */
export interface WireTransaction {
  mchid: string;
  appid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type: 'JSAPI' | 'PAP';
  trade_state: TradeState;
  trade_state_desc: string;
  /** Why a deduction failed (委托代扣's `err_code`: `NOTENOUGH`, `TRADE_ERROR`, …); with `PAYERROR`. */
  err_code?: string;
  success_time?: string;
  payer: { openid: string };
  amount: { total: number; payer_total?: number; currency: string; payer_currency?: string };
  contract_id?: string;
}

/** The body of a notification; `resource` decrypts to a {@link WireTransaction}. */
export interface WireNotification {
  id: string;
  create_time: string;
  resource_type: 'encrypt-resource';
  event_type: string;
  summary: string;
  resource: {
    original_type: string;
    algorithm: string;
    ciphertext: string;
    associated_data: string;
    nonce: string;
  };
}

/** An error answer. */
export interface WireError {
  code: string;
  message: string;
  detail?: unknown;
}

/** `contract_state` of a 委托代扣 contract: `ADD` signed, `DELETE` terminated; `REFUSED` is the sandbox's own (the payer declined to sign). */
export type ContractState = 'ADD' | 'DELETE' | 'REFUSED';

export interface WireContract {
  mchid: string;
  appid: string;
  contract_id: string;
  plan_id: number;
  out_contract_code: string;
  contract_display_account: string;
  contract_state: ContractState;
  contract_signed_time?: string;
  openid: string;
}

export interface WireRefund {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string;
  out_trade_no: string;
  status: 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';
  create_time: string;
  success_time?: string;
  amount: { refund: number; total: number; currency: string };
}

/** RFC 3339 in China Standard Time, as WeChat Pay writes its times (`2026-12-07T09:30:00+08:00`). */
export function chinaTime(epochMs: number): string {
  return `${new Date(epochMs + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}
