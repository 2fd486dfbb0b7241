import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wechatpaySettingsFrom } from './settings.js';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const MERCHANT_PEM = merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim();
const PLATFORM_PEM = platform.publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();

const complete = {
  PAYMENT_WECHATPAY_MCH_ID: '1900000109',
  PAYMENT_WECHATPAY_APP_ID: 'wxd678efh567hg6787',
  PAYMENT_WECHATPAY_API_V3_KEY: 'a'.repeat(32),
  PAYMENT_WECHATPAY_MERCHANT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY: MERCHANT_PEM,
  PAYMENT_WECHATPAY_PLATFORM_SERIAL: 'PUB_KEY_ID_0114232134912410000000000000',
  PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY: PLATFORM_PEM,
  PAYMENT_WECHATPAY_NOTIFY_URL: 'https://gateway.example.com/payments/wechatpay/notifications',
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'wechatpay-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    wechatpaySettingsFrom(env);
  } catch (error) {
    const [head, ...problems] = (error as Error).message.split('\n  - ');
    expect(head).toBe('Invalid WeChat Pay settings:');
    return problems;
  }
  throw new Error('expected the settings to be refused');
}

describe('wechatpaySettingsFrom', () => {
  it('reads complete settings, with the real API URL and a 10 s timeout by default', () => {
    expect(wechatpaySettingsFrom(complete)).toEqual({
      baseUrl: 'https://api.mch.weixin.qq.com',
      mchId: '1900000109',
      appId: 'wxd678efh567hg6787',
      apiV3Key: 'a'.repeat(32),
      merchantSerial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      merchantPrivateKey: MERCHANT_PEM,
      platformSerial: 'PUB_KEY_ID_0114232134912410000000000000',
      platformPublicKey: PLATFORM_PEM,
      notifyUrl: complete.PAYMENT_WECHATPAY_NOTIFY_URL,
      planId: undefined,
      timeoutMs: 10_000,
    });
  });

  it('names every missing variable at once, with what it holds', () => {
    expect(problemsOf({})).toEqual([
      'set PAYMENT_WECHATPAY_MCH_ID (the merchant id (商户号))',
      'set PAYMENT_WECHATPAY_APP_ID (the appid the payer pays in)',
      'set PAYMENT_WECHATPAY_API_V3_KEY (the APIv3 key, 32 characters)',
      "set PAYMENT_WECHATPAY_MERCHANT_SERIAL (the serial number of the merchant's API certificate)",
      "set PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY (the merchant's RSA private key, PEM (or PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY_FILE))",
      "set PAYMENT_WECHATPAY_PLATFORM_SERIAL (the platform public key's id (Wechatpay-Serial, e.g. PUB_KEY_ID_…))",
      "set PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY (WeChat Pay's platform public key, PEM (or PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE))",
      'set PAYMENT_WECHATPAY_NOTIFY_URL (our notification endpoint, an absolute http(s) URL)',
    ]);
  });

  it('reads the keys from files (…_FILE)', () => {
    writeFileSync(path.join(dir, 'apiclient_key.pem'), MERCHANT_PEM);
    writeFileSync(path.join(dir, 'pub_key.pem'), PLATFORM_PEM);
    const { PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY: _m, PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY: _p, ...rest } = complete;

    const settings = wechatpaySettingsFrom({
      ...rest,
      PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY_FILE: path.join(dir, 'apiclient_key.pem'),
      PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE: path.join(dir, 'pub_key.pem'),
    });

    expect(settings.merchantPrivateKey).toBe(MERCHANT_PEM);
    expect(settings.platformPublicKey).toBe(PLATFORM_PEM);
  });

  it('refuses what is wrong, each problem named', () => {
    expect(
      problemsOf({
        ...complete,
        PAYMENT_WECHATPAY_URL: 'ftp://example.com',
        PAYMENT_WECHATPAY_API_V3_KEY: 'short',
        PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY: 'not a key',
        PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE: path.join(dir, 'missing.pem'),
        PAYMENT_WECHATPAY_NOTIFY_URL: '/relative',
        PAYMENT_WECHATPAY_PLAN_ID: '12a',
        PAYMENT_WECHATPAY_TIMEOUT_MS: '0',
      }),
    ).toEqual([
      `PAYMENT_WECHATPAY_URL must be an absolute http(s) URL (the API base URL (default https://api.mch.weixin.qq.com))`,
      'PAYMENT_WECHATPAY_API_V3_KEY must be 32 bytes (it has 5)',
      'PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY is not a PEM private key',
      'set PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY or PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE, not both',
      'PAYMENT_WECHATPAY_NOTIFY_URL must be an absolute http(s) URL',
      'PAYMENT_WECHATPAY_PLAN_ID must be a positive integer (got "12a")',
      'PAYMENT_WECHATPAY_TIMEOUT_MS must be a positive integer (got "0")',
    ]);
  });

  it('names an unreadable key file and a key of the wrong kind', () => {
    const { PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY: _, ...rest } = complete;
    const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

    expect(
      problemsOf({ ...rest, PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY: ed25519, PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE: path.join(dir, 'missing.pem') }),
    ).toEqual([
      'PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY is a ed25519 key, not RSA',
      `PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE=${path.join(dir, 'missing.pem')} cannot be read (ENOENT)`,
    ]);
  });

  it("refuses the merchant's serial as the platform's", () => {
    expect(problemsOf({ ...complete, PAYMENT_WECHATPAY_PLATFORM_SERIAL: complete.PAYMENT_WECHATPAY_MERCHANT_SERIAL })).toEqual([
      "PAYMENT_WECHATPAY_PLATFORM_SERIAL is the merchant's serial: set the platform public key's id",
    ]);
  });
});
