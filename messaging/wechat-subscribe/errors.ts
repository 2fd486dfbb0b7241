import type { RefusalReason, RetryReason, SendResult } from '../sdk/index.js';
import { ERRCODE } from './protocol.js';

// WeChat's errcodes as the port's outcomes. `send` never throws for what WeChat answers: each
// errcode is a refusal for good (the message will never go as it is) or a reason to try again.

/** What one errcode means for the message. */
export type ErrcodeOutcome =
  | { outcome: 'REFUSED'; reason: RefusalReason; meaning: string }
  | { outcome: 'RETRY'; reason: RetryReason; meaning: string; retryAfterMs?: number };

/**
 * How long to wait after WeChat's "API call limit" (45009). WeChat says nothing of when the
 * limit lifts; a minute keeps the outbox from hammering it and is short enough for per-minute limits.
 */
export const RATE_LIMIT_RETRY_AFTER_MS = 60_000;

/** How long to wait after "messages sent to the same member at once" (43108): the other one is on its way. */
export const SAME_MEMBER_RETRY_AFTER_MS = 1_000;

/** Errcodes of the token and send calls, and what they mean for the message. */
export const WECHAT_ERRCODES: Readonly<Record<number, ErrcodeOutcome>> = {
  [ERRCODE.USER_REFUSED]: { outcome: 'REFUSED', reason: 'NOT_SUBSCRIBED', meaning: 'the member has not subscribed to the template, has used the subscription up, or unsubscribed' },
  [ERRCODE.INVALID_OPENID]: { outcome: 'REFUSED', reason: 'INVALID_RECIPIENT', meaning: "touser is empty or not an openid of this mini program" },
  [ERRCODE.INVALID_TEMPLATE_ID]: { outcome: 'REFUSED', reason: 'INVALID_TEMPLATE', meaning: 'template_id is empty or not a template of this mini program' },
  [ERRCODE.SUBSCRIBE_MESSAGES_BANNED]: { outcome: 'REFUSED', reason: 'INVALID_TEMPLATE', meaning: 'subscribe messages are banned for this mini program or this template' },
  [ERRCODE.SENSITIVE_WORD]: { outcome: 'REFUSED', reason: 'INVALID_MESSAGE', meaning: 'a field holds a word WeChat censors' },
  [ERRCODE.ARGUMENT_INVALID]: { outcome: 'REFUSED', reason: 'INVALID_MESSAGE', meaning: 'a field is missing or does not fit its kind (errmsg names it)' },
  [ERRCODE.INVALID_PAGE]: { outcome: 'REFUSED', reason: 'INVALID_MESSAGE', meaning: 'page is not a page of the released mini program' },
  [ERRCODE.DATA_FORMAT_ERROR]: { outcome: 'REFUSED', reason: 'INVALID_MESSAGE', meaning: 'the body is not the JSON WeChat takes' },
  [ERRCODE.API_LIMIT]: { outcome: 'RETRY', reason: 'RATE_LIMITED', meaning: 'the API call limit is reached', retryAfterMs: RATE_LIMIT_RETRY_AFTER_MS },
  [ERRCODE.CONCURRENT_SEND_TO_USER]: {
    outcome: 'RETRY',
    reason: 'RATE_LIMITED',
    meaning: 'another message to the same member is being sent at this moment',
    retryAfterMs: SAME_MEMBER_RETRY_AFTER_MS,
  },
  [ERRCODE.SYSTEM_BUSY]: { outcome: 'RETRY', reason: 'UNAVAILABLE', meaning: 'system busy, try again later' },
  // Our credentials (token call): nothing wrong with the message; it waits until they are fixed.
  [ERRCODE.INVALID_APPID]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'the appid is not valid: check MESSAGING_WECHAT_SUBSCRIBE_APP_ID' },
  [ERRCODE.INVALID_APPSECRET]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'the AppSecret is not valid: check MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET' },
  [ERRCODE.IP_NOT_WHITELISTED]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: "this host's IP is not on the mini program's API allow-list" },
  [ERRCODE.APPID_MISSING]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'the appid is missing' },
  [ERRCODE.APPSECRET_MISSING]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'the AppSecret is missing' },
  [ERRCODE.INVALID_GRANT_TYPE]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'grant_type is not client_credential' },
  // Only when a fresh token is refused too (the first refusal fetches a new token and sends again).
  // 40001 also answers a token call with a wrong AppSecret.
  [ERRCODE.INVALID_CREDENTIAL]: {
    outcome: 'RETRY',
    reason: 'UNAUTHORIZED',
    meaning: 'invalid credential: the access token is not (or no longer) valid, or, for a token, MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET is wrong',
  },
  [ERRCODE.INVALID_ACCESS_TOKEN]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'the access token is invalid' },
  [ERRCODE.ACCESS_TOKEN_EXPIRED]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'the access token has expired' },
  [ERRCODE.ACCESS_TOKEN_MISSING]: { outcome: 'RETRY', reason: 'UNAUTHORIZED', meaning: 'the access token is missing' },
};

/** Errcodes that say the access token is no longer good: fetch a new one and send once more. */
export const TOKEN_REFUSED = new Set<number>([ERRCODE.INVALID_CREDENTIAL, ERRCODE.INVALID_ACCESS_TOKEN, ERRCODE.ACCESS_TOKEN_EXPIRED]);

/**
 * The port's result for a non-zero errcode. An errcode not in the table is tried again
 * (`UNAVAILABLE`): the outbox's attempt limit bounds a permanent one, while refusing a
 * transient one would lose the message.
 */
export function resultOfErrcode(errcode: number, errmsg: string | undefined, call: string): Exclude<SendResult, { outcome: 'SENT' }> {
  const known = WECHAT_ERRCODES[errcode];
  const said = `${call}: WeChat answered errcode ${errcode} (${errmsg ?? 'no errmsg'})`;
  if (!known) return { outcome: 'RETRY', reason: 'UNAVAILABLE', detail: `${said}, an errcode the adapter does not know` };
  const detail = `${said}: ${known.meaning}`;
  if (known.outcome === 'REFUSED') return { outcome: 'REFUSED', reason: known.reason, detail };
  return { outcome: 'RETRY', reason: known.reason, detail, ...(known.retryAfterMs === undefined ? {} : { retryAfterMs: known.retryAfterMs }) };
}
