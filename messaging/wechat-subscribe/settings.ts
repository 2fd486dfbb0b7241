/** Where the real WeChat server API answers. */
export const WECHAT_SUBSCRIBE_API_URL = 'https://api.weixin.qq.com';

/** The environment variables' common prefix. */
export const WECHAT_SUBSCRIBE_ENV_PREFIX = 'MESSAGING_WECHAT_SUBSCRIBE_';

/** How the adapter reaches and authenticates to WeChat (or its sandbox). */
export interface WechatSubscribeSettings {
  /** API base URL, without a trailing slash. @default 'https://api.weixin.qq.com' */
  baseUrl: string;
  /** The mini program's `appid` (the members' openids are this app's). */
  appId: string;
  /** The mini program's `AppSecret`: exchanged for access tokens. */
  appSecret: string;
  /** Timeout of one HTTP call (a token fetch or a send), in milliseconds. @default 5000 */
  timeoutMs: number;
}

/** An environment-like record (`process.env`, or a sandbox's `adapterSettings`). */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/** Variable names, with what each holds (used in the error that says what to set). */
const VARIABLES = {
  APP_ID: "the mini program's appid",
  APP_SECRET: "the mini program's AppSecret",
  API_URL: `the API base URL (default ${WECHAT_SUBSCRIBE_API_URL})`,
  TIMEOUT_MS: 'the timeout of one API call in milliseconds, a positive integer (default 5000)',
} as const;

/**
 * Reads the adapter's settings from `MESSAGING_WECHAT_SUBSCRIBE_*` variables (the README lists
 * them). Every problem is collected and thrown at once, as one Error whose message names what to set.
 */
export function wechatSubscribeSettingsFrom(env: EnvLike): WechatSubscribeSettings {
  const problems: string[] = [];
  const name = (key: keyof typeof VARIABLES) => `${WECHAT_SUBSCRIBE_ENV_PREFIX}${key}`;
  const value = (key: keyof typeof VARIABLES): string | undefined => env[name(key)]?.trim() || undefined;
  const required = (key: keyof typeof VARIABLES): string => {
    const found = value(key);
    if (!found) problems.push(`set ${name(key)} (${VARIABLES[key]})`);
    return found ?? '';
  };

  const appId = required('APP_ID');
  const appSecret = required('APP_SECRET');
  const baseUrl = (value('API_URL') ?? WECHAT_SUBSCRIBE_API_URL).replace(/\/+$/, '');
  if (!isHttpUrl(baseUrl)) problems.push(`${name('API_URL')} must be an absolute http(s) URL (${VARIABLES.API_URL})`);
  const timeoutText = value('TIMEOUT_MS');
  let timeoutMs = 5000;
  if (timeoutText !== undefined) {
    if (/^[1-9]\d{0,8}$/.test(timeoutText)) timeoutMs = Number(timeoutText);
    else problems.push(`${name('TIMEOUT_MS')} must be a positive integer of milliseconds (got ${JSON.stringify(timeoutText)})`);
  }

  if (problems.length > 0) throw new Error(`Invalid WeChat subscribe-message settings:\n  - ${problems.join('\n  - ')}`);
  return { baseUrl, appId, appSecret, timeoutMs };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
