// WeChat mini-program subscribe messages (订阅消息): the adapter behind the messaging SDK's
// MessagingProvider port. Its sandbox (sandbox-server.ts) is for development and tests only
// and is not exported here.

export { createWechatSubscribeProvider, TOKEN_REFRESH_AHEAD_MS, WECHAT_SUBSCRIBE_PROVIDER_NAME } from './provider.js';
export type { WechatSubscribeProviderOptions } from './provider.js';
export { wechatSubscribeSettingsFrom, WECHAT_SUBSCRIBE_API_URL, WECHAT_SUBSCRIBE_ENV_PREFIX } from './settings.js';
export type { EnvLike, WechatSubscribeSettings } from './settings.js';
export { RATE_LIMIT_RETRY_AFTER_MS, SAME_MEMBER_RETRY_AFTER_MS, WECHAT_ERRCODES } from './errors.js';
export type { ErrcodeOutcome } from './errors.js';

import type { MessagingAdapter } from '../sdk/index.js';
import { createWechatSubscribeProvider, WECHAT_SUBSCRIBE_PROVIDER_NAME } from './provider.js';
import { WECHAT_SUBSCRIBE_ENV_PREFIX } from './settings.js';

/** WeChat subscribe messages as the composition root builds them (from `MESSAGING_WECHAT_SUBSCRIBE_*`, or its sandbox's settings). */
export const wechatSubscribe: MessagingAdapter = {
  name: WECHAT_SUBSCRIBE_PROVIDER_NAME,
  envPrefix: WECHAT_SUBSCRIBE_ENV_PREFIX,
  create: (settings) => createWechatSubscribeProvider(settings),
};
