// WeChat Pay (API v3 style): the adapter behind the payment SDK's PaymentProvider port.
// Its sandbox (sandbox-server.ts) is for development and tests only and is not exported here.

export { createWechatPayProvider, WECHATPAY_PROVIDER_NAME } from './provider.js';
export type { WechatPayProviderOptions } from './provider.js';
export { wechatpaySettingsFrom, WECHATPAY_API_URL, WECHATPAY_ENV_PREFIX } from './settings.js';
export type { EnvLike, WechatPaySettings } from './settings.js';
export { WechatPayError } from './errors.js';
export type { WechatPayErrorCode } from './errors.js';

import type { PaymentAdapter } from '../sdk/index.js';
import { createWechatPayProvider, WECHATPAY_PROVIDER_NAME } from './provider.js';
import { WECHATPAY_ENV_PREFIX } from './settings.js';

/** WeChat Pay as the composition root builds it (from `PAYMENT_WECHATPAY_*`, or its sandbox's settings). */
export const wechatpay: PaymentAdapter = {
  name: WECHATPAY_PROVIDER_NAME,
  envPrefix: WECHATPAY_ENV_PREFIX,
  create: (settings) => createWechatPayProvider(settings),
};
