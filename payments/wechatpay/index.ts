// WeChat Pay (API v3 style): the adapter behind the payment SDK's PaymentProvider port.
// Its sandbox (sandbox-server.ts) is for development and tests only and is not exported here.

export { createWechatPayProvider, WECHATPAY_PROVIDER_NAME } from './provider.js';
export type { WechatPayProviderOptions } from './provider.js';
export { wechatpaySettingsFrom, WECHATPAY_API_URL, WECHATPAY_ENV_PREFIX } from './settings.js';
export type { EnvLike, WechatPaySettings } from './settings.js';
export { WechatPayError } from './errors.js';
export type { WechatPayErrorCode } from './errors.js';
