// Development and tests only: the built-in partners' sandboxes, the payment provider's and the
// messaging provider's. Loaded with a dynamic import() by loadSandboxes (built-in-partners.ts),
// loadPaymentSandbox and loadMessagingSandbox; nothing imports this file statically.
import { brewbarSandbox } from '../partners/brewbar/sandbox-server.js';
import type { PartnerSandbox } from '../partners/sdk/index.js';
import { skymilesSandbox } from '../partners/skymiles/sandbox-server.js';
import { sparkwashSandbox } from '../partners/sparkwash/sandbox-server.js';
import { streamflixSandbox } from '../partners/streamflix/sandbox-server.js';

export const DEV_SANDBOXES: readonly PartnerSandbox[] = [sparkwashSandbox, streamflixSandbox, skymilesSandbox, brewbarSandbox];

/** The payment provider's sandbox (WeChat Pay API v3 style, on loopback). */
export { startWechatPaySandbox as DEV_PAYMENT_SANDBOX } from '../payments/wechatpay/sandbox-server.js';

/** The messaging provider's sandbox (WeChat subscribe messages, on loopback). */
export { startWechatSubscribeSandbox as DEV_MESSAGING_SANDBOX } from '../messaging/wechat-subscribe/sandbox-server.js';
