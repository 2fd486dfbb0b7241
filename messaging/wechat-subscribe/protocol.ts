// The wire format of WeChat's access-token and subscribe-message (订阅消息) calls, shared by the
// adapter and its sandbox. Tests spell the wire out literally, so a mistake made here on both
// sides at once still shows.

/** `GET` an access token: `?grant_type=client_credential&appid=…&secret=…`. */
export const TOKEN_PATH = '/cgi-bin/token';
/** `POST` a subscribe message: `?access_token=…`, JSON body {@link WireSendRequest}. */
export const SEND_PATH = '/cgi-bin/message/subscribe/send';

/** WeChat's answer to a token request: a token, or an error. */
export interface WireTokenAnswer {
  access_token?: string;
  /** Seconds the token lives (7200). */
  expires_in?: number;
  errcode?: number;
  errmsg?: string;
}

/** A subscribe message as WeChat takes it. */
export interface WireSendRequest {
  /** The member's openid in this mini program. */
  touser: string;
  template_id: string;
  /** A page of the mini program, with its query (`index?foo=bar`). */
  page?: string;
  /** Each template key with its value: `{ thing1: { value: '…' } }`. */
  data: Record<string, { value: string }>;
  /** The language of "进入小程序查看": `zh_CN` (WeChat's default), `en_US`, `zh_HK`, `zh_TW`. */
  lang?: WechatLang;
  /**
   * Ours, not WeChat's: our `messageId`, which our sandbox dedupes on. WeChat has no
   * idempotency key for this call and (as far as we know) ignores fields it does not take.
   */
  client_msg_id?: string;
}

/** WeChat's answer to a send (HTTP 200 whatever the errcode). */
export interface WireSendAnswer {
  errcode: number;
  errmsg: string;
  msgid?: number | string;
}

export type WechatLang = 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';

/** The errcodes the adapter acts on, by name. */
export const ERRCODE = {
  OK: 0,
  SYSTEM_BUSY: -1,
  INVALID_CREDENTIAL: 40001,
  INVALID_GRANT_TYPE: 40002,
  INVALID_OPENID: 40003,
  INVALID_APPID: 40013,
  INVALID_ACCESS_TOKEN: 40014,
  INVALID_TEMPLATE_ID: 40037,
  INVALID_APPSECRET: 40125,
  IP_NOT_WHITELISTED: 40164,
  ACCESS_TOKEN_MISSING: 41001,
  APPID_MISSING: 41002,
  APPSECRET_MISSING: 41004,
  INVALID_PAGE: 41030,
  ACCESS_TOKEN_EXPIRED: 42001,
  USER_REFUSED: 43101,
  SUBSCRIBE_MESSAGES_BANNED: 43107,
  CONCURRENT_SEND_TO_USER: 43108,
  API_LIMIT: 45009,
  SENSITIVE_WORD: 45168,
  DATA_FORMAT_ERROR: 47001,
  ARGUMENT_INVALID: 47003,
} as const;

/** WeChat's `lang` for one of our locales, or undefined to leave WeChat's default (`zh_CN`). */
export function wechatLang(locale: string): WechatLang | undefined {
  const normalized = locale.trim().replace(/_/g, '-').toLowerCase();
  if (normalized === 'zh-cn' || normalized === 'zh' || normalized === 'zh-hans' || normalized === 'zh-hans-cn') return 'zh_CN';
  if (normalized === 'zh-hk' || normalized === 'zh-hant-hk') return 'zh_HK';
  if (normalized === 'zh-tw' || normalized === 'zh-hant' || normalized === 'zh-hant-tw') return 'zh_TW';
  if (normalized === 'en' || normalized.startsWith('en-')) return 'en_US';
  return undefined;
}
