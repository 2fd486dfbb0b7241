import type { MessagingAdapter, MessagingProvider, MessagingSandboxStarter, RunningMessagingSandbox } from '../../messaging/sdk/index.js';
import type { AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { Closers } from './closers.js';

/** The messaging provider of this process (none: it delivers no moment), and its sandbox when this process started one. */
export interface ConnectedMessaging {
  provider: MessagingProvider | undefined;
  sandbox?: RunningMessagingSandbox;
}

/**
 * Connects to the messaging provider: the configured one (`MESSAGING_<PROVIDER>_…`), else,
 * outside production and when given a sandbox, the provider's sandbox started on loopback.
 * Without either: production refuses to start a process that must deliver (`required`), and
 * any other process gets none (its moments wait for a process that has one).
 */
export async function connectMessaging(
  adapter: MessagingAdapter,
  config: AppConfig,
  closers: Closers,
  options: { sandbox?: MessagingSandboxStarter; required?: boolean; logger?: Logger } = {},
): Promise<ConnectedMessaging> {
  const configured = Object.keys(config.messagingEnv).some((name) => name.startsWith(adapter.envPrefix));
  if (configured) return { provider: adapter.create(config.messagingEnv) };
  const hint = `set ${adapter.envPrefix}APP_ID and the other ${adapter.envPrefix}* settings (messaging/${adapter.name}/README.md)`;
  if (config.nodeEnv === 'production') {
    if (options.required) throw new Error(`Messaging: ${hint}; production never starts a messaging sandbox`);
    return { provider: undefined };
  }
  if (!options.sandbox) {
    options.logger?.warn(`Messaging is not configured in this process: members' moments wait for a process that has it (${hint})`);
    return { provider: undefined };
  }
  const sandbox = await options.sandbox({ host: '127.0.0.1', port: 0 });
  closers.push(() => sandbox.close(), `${adapter.name} messaging sandbox`);
  return { provider: adapter.create(sandbox.adapterSettings), sandbox };
}
