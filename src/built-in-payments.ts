// The payment provider: with the *-main.ts entry points, the only place in src/ that names a
// concrete provider (the CI boundary check keeps it so). It is an adapter folder under
// payments/ built on the payment SDK.
import type { PaymentAdapter, PaymentSandboxStarter } from '../payments/sdk/index.js';
import { wechatpay } from '../payments/wechatpay/index.js';

/** The provider members pay through. */
export const PAYMENT_ADAPTER: PaymentAdapter = wechatpay;

/** The provider's sandbox (development and tests only): loaded on demand, so production never loads it. */
export async function loadPaymentSandbox(): Promise<PaymentSandboxStarter> {
  const { DEV_PAYMENT_SANDBOX } = await import('./dev-sandboxes.js');
  return DEV_PAYMENT_SANDBOX;
}
