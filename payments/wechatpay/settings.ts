import { readFileSync } from 'node:fs';
import { rsaPrivateKey, rsaPublicKey } from './protocol.js';

/** Where the real WeChat Pay API v3 answers. */
export const WECHATPAY_API_URL = 'https://api.mch.weixin.qq.com';

/** The environment variables' common prefix. */
export const WECHATPAY_ENV_PREFIX = 'PAYMENT_WECHATPAY_';

/** How the adapter reaches and authenticates to WeChat Pay (or its sandbox). */
export interface WechatPaySettings {
  /** API base URL, without a trailing slash. @default 'https://api.mch.weixin.qq.com' */
  baseUrl: string;
  /** Merchant id (商户号, `mchid`). */
  mchId: string;
  /** The app the payer pays in (`appid`: Official Account, Mini Program or app). */
  appId: string;
  /** The APIv3 key (32 characters): decrypts notification resources. */
  apiV3Key: string;
  /** Serial number of the merchant's API certificate (`serial_no` in our `Authorization`). */
  merchantSerial: string;
  /** The merchant's RSA private key, PEM (`apiclient_key.pem`): signs our requests. */
  merchantPrivateKey: string;
  /** Id of the platform public key (`Wechatpay-Serial` on answers and notifications, e.g. `PUB_KEY_ID_…`). */
  platformSerial: string;
  /** WeChat Pay's platform public key (or certificate), PEM: verifies answers and notifications. */
  platformPublicKey: string;
  /** Our notification endpoint, sent as `notify_url` with every order. */
  notifyUrl: string;
  /** The 委托代扣 template (`plan_id`) mandates are signed under; required by `createMandate`. */
  planId?: number | undefined;
  /** Timeout of one API call, in milliseconds. @default 10000 */
  timeoutMs: number;
}

/** An environment-like record (`process.env`, or a sandbox's `adapterSettings`). */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/** Variable names, with what each holds (used in the error that says what to set). */
const VARIABLES = {
  URL: `the API base URL (default ${WECHATPAY_API_URL})`,
  MCH_ID: 'the merchant id (商户号)',
  APP_ID: 'the appid the payer pays in',
  API_V3_KEY: 'the APIv3 key, 32 characters',
  MERCHANT_SERIAL: "the serial number of the merchant's API certificate",
  MERCHANT_PRIVATE_KEY: "the merchant's RSA private key, PEM (or PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY_FILE)",
  PLATFORM_SERIAL: "the platform public key's id (Wechatpay-Serial, e.g. PUB_KEY_ID_…)",
  PLATFORM_PUBLIC_KEY: "WeChat Pay's platform public key, PEM (or PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE)",
  NOTIFY_URL: 'our notification endpoint, an absolute http(s) URL',
  PLAN_ID: 'the 委托代扣 template id (plan_id), a positive integer',
  TIMEOUT_MS: 'the timeout of one API call in milliseconds, a positive integer',
} as const;

/**
 * Reads the adapter's settings from `PAYMENT_WECHATPAY_*` variables (the README lists them).
 * A PEM may be given inline or as a file (`…_FILE`). Every problem is collected and thrown at
 * once, as one Error whose message names what to set.
 */
export function wechatpaySettingsFrom(env: EnvLike, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): WechatPaySettings {
  const problems: string[] = [];
  const name = (key: keyof typeof VARIABLES) => `${WECHATPAY_ENV_PREFIX}${key}`;
  const value = (key: keyof typeof VARIABLES): string | undefined => env[name(key)]?.trim() || undefined;
  const required = (key: keyof typeof VARIABLES): string => {
    const found = value(key);
    if (!found) problems.push(`set ${name(key)} (${VARIABLES[key]})`);
    return found ?? '';
  };
  const pem = (key: 'MERCHANT_PRIVATE_KEY' | 'PLATFORM_PUBLIC_KEY'): string => {
    const inline = env[name(key)]?.trim();
    const file = env[`${name(key)}_FILE`]?.trim();
    if (inline && file) {
      problems.push(`set ${name(key)} or ${name(key)}_FILE, not both`);
      return '';
    }
    if (file) {
      try {
        return readFile(file).trim();
      } catch (error) {
        problems.push(`${name(key)}_FILE=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
        return '';
      }
    }
    return required(key);
  };

  const baseUrl = (value('URL') ?? WECHATPAY_API_URL).replace(/\/+$/, '');
  if (!isHttpUrl(baseUrl)) problems.push(`${name('URL')} must be an absolute http(s) URL (${VARIABLES.URL})`);
  const mchId = required('MCH_ID');
  const appId = required('APP_ID');
  const apiV3Key = required('API_V3_KEY');
  if (apiV3Key && Buffer.byteLength(apiV3Key, 'utf8') !== 32) problems.push(`${name('API_V3_KEY')} must be 32 bytes (it has ${Buffer.byteLength(apiV3Key, 'utf8')})`);
  const merchantSerial = required('MERCHANT_SERIAL');
  const merchantPrivateKey = pem('MERCHANT_PRIVATE_KEY');
  if (merchantPrivateKey) checkKey(() => rsaPrivateKey(merchantPrivateKey, name('MERCHANT_PRIVATE_KEY')), problems);
  const platformSerial = required('PLATFORM_SERIAL');
  const platformPublicKey = pem('PLATFORM_PUBLIC_KEY');
  if (platformPublicKey) checkKey(() => rsaPublicKey(platformPublicKey, name('PLATFORM_PUBLIC_KEY')), problems);
  if (merchantSerial && merchantSerial === platformSerial) problems.push(`${name('PLATFORM_SERIAL')} is the merchant's serial: set the platform public key's id`);
  const notifyUrl = required('NOTIFY_URL');
  if (notifyUrl && !isHttpUrl(notifyUrl)) problems.push(`${name('NOTIFY_URL')} must be an absolute http(s) URL`);
  const planId = positiveInteger(value('PLAN_ID'), name('PLAN_ID'), problems);
  const timeoutMs = positiveInteger(value('TIMEOUT_MS'), name('TIMEOUT_MS'), problems) ?? 10_000;

  if (problems.length > 0) throw new Error(`Invalid WeChat Pay settings:\n  - ${problems.join('\n  - ')}`);
  return { baseUrl, mchId, appId, apiV3Key, merchantSerial, merchantPrivateKey, platformSerial, platformPublicKey, notifyUrl, planId, timeoutMs };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function checkKey(parse: () => unknown, problems: string[]): void {
  try {
    parse();
  } catch (error) {
    problems.push((error as Error).message);
  }
}

function positiveInteger(text: string | undefined, variable: string, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(text)) {
    problems.push(`${variable} must be a positive integer (got ${JSON.stringify(text)})`);
    return undefined;
  }
  return Number(text);
}
