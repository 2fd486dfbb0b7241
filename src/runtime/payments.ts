import type { PaymentAdapter, PaymentProvider, PaymentSandboxStarter, RunningPaymentSandbox } from '../../payments/sdk/index.js';
import type { AppConfig } from '../platform/config.js';
import type { Closers } from './closers.js';

/** The payment provider of this process, and its sandbox when this process started one. */
export interface ConnectedPayments {
  provider: PaymentProvider;
  sandbox?: RunningPaymentSandbox;
}

/**
 * The provider of a process that takes no payments (one that only migrates and seeds, say):
 * every call fails, naming what to configure.
 */
export function noPayments(reason: string): PaymentProvider {
  const refuse = async (): Promise<never> => {
    throw new Error(`Payments are not configured in this process (${reason})`);
  };
  return { name: 'none', charge: refuse, createMandate: refuse, query: refuse, refund: refuse, parseNotification: refuse };
}

/** Where the provider's notifications are received: `POST /payments/{provider}/notify`. */
export function paymentNotifyPath(provider: string): string {
  return `/payments/${provider}/notify`;
}

/**
 * Connects to the payment provider: the configured one (`PAYMENT_<PROVIDER>_…`), else,
 * outside production and when given a sandbox, the provider's sandbox started on loopback and
 * notifying `notifyBaseUrl`. Production refuses to start unconfigured.
 */
export async function connectPayments(
  adapter: PaymentAdapter,
  config: AppConfig,
  closers: Closers,
  options: { notifyBaseUrl?: string; sandbox?: PaymentSandboxStarter } = {},
): Promise<ConnectedPayments> {
  const configured = Object.keys(config.paymentEnv).some((name) => name.startsWith(adapter.envPrefix));
  if (configured) return { provider: adapter.create(config.paymentEnv) };
  const hint = `set ${adapter.envPrefix}URL and the other ${adapter.envPrefix}* settings (payments/${adapter.name}/README.md)`;
  if (config.nodeEnv === 'production') throw new Error(`Payments: ${hint}; production never starts a payment sandbox`);
  if (!options.sandbox) throw new Error(`Payments: ${hint} (only the all-in-one process starts the sandbox for you)`);
  const sandbox = await options.sandbox({
    host: '127.0.0.1',
    port: 0,
    ...(options.notifyBaseUrl ? { notifyUrl: `${options.notifyBaseUrl}${paymentNotifyPath(adapter.name)}` } : {}),
  });
  closers.push(() => sandbox.close(), `${adapter.name} payment sandbox`);
  return { provider: adapter.create(sandbox.adapterSettings), sandbox };
}
