// The messaging provider: with the *-main.ts entry points, the only place in src/ that names a
// concrete provider (the CI boundary check keeps it so). It is an adapter folder under
// messaging/ built on the messaging SDK.
import type { MessagingAdapter, MessagingSandboxStarter } from '../messaging/sdk/index.js';
import { wechatSubscribe } from '../messaging/wechat-subscribe/index.js';

/** The provider members' messages go through (WeChat mini-program subscribe messages). */
export const MESSAGING_ADAPTER: MessagingAdapter = wechatSubscribe;

/** The provider's sandbox (development and tests only): loaded on demand, so production never loads it. */
export async function loadMessagingSandbox(): Promise<MessagingSandboxStarter> {
  const { DEV_MESSAGING_SANDBOX } = await import('./dev-sandboxes.js');
  return DEV_MESSAGING_SANDBOX;
}
