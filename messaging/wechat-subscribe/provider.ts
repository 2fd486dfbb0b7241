import type { MessagingProvider, OutboundMessage, RetryResult, SendResult } from '../sdk/index.js';
import { resultOfErrcode, TOKEN_REFUSED } from './errors.js';
import { SEND_PATH, TOKEN_PATH, wechatLang, type WireSendAnswer, type WireSendRequest, type WireTokenAnswer } from './protocol.js';
import { wechatSubscribeSettingsFrom, type EnvLike, type WechatSubscribeSettings } from './settings.js';

/** The provider's name in our records. */
export const WECHAT_SUBSCRIBE_PROVIDER_NAME = 'wechat-subscribe';

/**
 * How long before its expiry an access token is replaced. WeChat keeps the previous token
 * valid for 5 minutes after a new one is issued, so replacing it this early never leaves
 * another process holding a dead token; a token living less than twice this is replaced at half its life.
 */
export const TOKEN_REFRESH_AHEAD_MS = 5 * 60_000;

/** The longest `messageId` sent as `client_msg_id`. */
const MAX_MESSAGE_ID_LENGTH = 128;

/** Options that are not settings: for tests. */
export interface WechatSubscribeProviderOptions {
  /** The clock, in epoch milliseconds, that the access token's expiry is reckoned by. @default Date.now */
  now?: () => number;
}

/**
 * The WeChat mini-program subscribe-message (订阅消息) adapter, or its sandbox's: same calls.
 * Accepts typed settings or an env-like record (`process.env`, a sandbox's `adapterSettings`),
 * read by {@link wechatSubscribeSettingsFrom}.
 */
export function createWechatSubscribeProvider(settings: WechatSubscribeSettings | EnvLike, options: WechatSubscribeProviderOptions = {}): MessagingProvider {
  return new WechatSubscribeProvider(isTyped(settings) ? settings : wechatSubscribeSettingsFrom(settings), options);
}

function isTyped(settings: WechatSubscribeSettings | EnvLike): settings is WechatSubscribeSettings {
  return typeof (settings as WechatSubscribeSettings).appId === 'string' && typeof (settings as WechatSubscribeSettings).baseUrl === 'string';
}

interface CachedToken {
  value: string;
  /** When WeChat stops taking it. */
  expiresAt: number;
  /** When we fetch the next one. */
  refreshAt: number;
}

/** An access token, or why there is none (the send's result). */
type TokenOrFailure = { token: string } | { failure: RetryResult };

/** A JSON answer's text, or why there is none. */
type AnswerOrFailure = { text: string; json: unknown } | { failure: RetryResult };

class WechatSubscribeProvider implements MessagingProvider {
  readonly name = WECHAT_SUBSCRIBE_PROVIDER_NAME;
  private readonly now: () => number;
  private cached: CachedToken | undefined;
  /** The token fetch under way: concurrent sends wait for the same one. */
  private fetching: Promise<TokenOrFailure> | undefined;
  /** Sends under way by messageId: the same message sent twice at once is one call. */
  private readonly sending = new Map<string, Promise<SendResult>>();

  constructor(
    private readonly settings: WechatSubscribeSettings,
    options: WechatSubscribeProviderOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  send(message: OutboundMessage): Promise<SendResult> {
    const under = this.sending.get(message.messageId);
    if (under) return under;
    const sending = this.deliver(message).finally(() => this.sending.delete(message.messageId));
    this.sending.set(message.messageId, sending);
    return sending;
  }

  private async deliver(message: OutboundMessage): Promise<SendResult> {
    if (typeof message.messageId !== 'string' || message.messageId.length === 0 || message.messageId.length > MAX_MESSAGE_ID_LENGTH) {
      return { outcome: 'REFUSED', reason: 'INVALID_MESSAGE', detail: `messageId must be 1 to ${MAX_MESSAGE_ID_LENGTH} characters (it is the idempotency key); nothing was sent` };
    }
    const lang = wechatLang(message.locale);
    const wire: WireSendRequest = {
      touser: message.recipient,
      template_id: message.template,
      ...(message.link ? { page: message.link } : {}),
      data: Object.fromEntries(Object.entries(message.fields).map(([key, value]) => [key, { value }])),
      ...(lang ? { lang } : {}),
      client_msg_id: message.messageId,
    };
    const body = JSON.stringify(wire);
    // A refused token (revoked by a fetch elsewhere, or expired early) is replaced once; WeChat
    // delivered nothing under it, so sending again cannot deliver twice.
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      if ('failure' in token) return token.failure;
      const answer = await this.call('send', `${SEND_PATH}?access_token=${encodeURIComponent(token.token)}`, body);
      if ('failure' in answer) return answer.failure;
      const errcode = (answer.json as Partial<WireSendAnswer> | undefined)?.errcode;
      if (typeof errcode !== 'number') return unreadable('send', 'an answer without an errcode').failure;
      if (errcode === 0) {
        const msgid = msgidOf(answer.text);
        return { outcome: 'SENT', ...(msgid ? { providerMessageId: msgid } : {}) };
      }
      if (TOKEN_REFUSED.has(errcode) && attempt === 1) {
        this.forget(token.token);
        continue;
      }
      return resultOfErrcode(errcode, (answer.json as WireSendAnswer).errmsg, 'send');
    }
  }

  /** The cached token while it is fresh, else the one fetch under way (started if none is). */
  private accessToken(): Promise<TokenOrFailure> {
    if (this.cached && this.now() < this.cached.refreshAt) return Promise.resolve({ token: this.cached.value });
    this.fetching ??= this.fetchToken().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  /** Drops a token WeChat refused, unless a newer one has replaced it already. */
  private forget(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async fetchToken(): Promise<TokenOrFailure> {
    const askedAt = this.now();
    const query = new URLSearchParams({ grant_type: 'client_credential', appid: this.settings.appId, secret: this.settings.appSecret });
    const answer = await this.call('token', `${TOKEN_PATH}?${query.toString()}`);
    const read = 'failure' in answer ? answer : tokenOf(answer.json);
    if ('token' in read) {
      const lifetimeMs = read.expiresInSeconds * 1000;
      // Reckoned from when we asked, so the time on the network only makes us refresh earlier.
      this.cached = {
        value: read.token,
        expiresAt: askedAt + lifetimeMs,
        refreshAt: askedAt + lifetimeMs - Math.min(TOKEN_REFRESH_AHEAD_MS, lifetimeMs / 2),
      };
      return { token: read.token };
    }
    // A refresh ahead of expiry that fails leaves the current token in use while it lives.
    if (this.cached && this.now() < this.cached.expiresAt) return { token: this.cached.value };
    return read;
  }

  /** One HTTP call: GET for the token, POST for a send. Never throws; never puts the query (secret, token) in a detail. */
  private async call(call: 'token' | 'send', pathAndQuery: string, body?: string): Promise<AnswerOrFailure> {
    const path = pathAndQuery.split('?')[0]!;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.settings.baseUrl}${pathAndQuery}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          accept: 'application/json',
          'user-agent': 'coalition-gateway-wechat-subscribe/1',
          ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        },
        ...(body === undefined ? {} : { body }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.settings.timeoutMs} ms` : 'the connection failed';
      const consequence = call === 'send' ? 'the message may have been delivered' : 'no access token, nothing sent';
      return { failure: { outcome: 'RETRY', reason: 'NO_ANSWER', detail: `${call} (${path}): ${cause}; ${consequence}` } };
    }
    const status = response.status;
    if (status !== 200) {
      const retryAfterMs = retryAfterOf(response.headers.get('retry-after'));
      return {
        failure: {
          outcome: 'RETRY',
          reason: status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE',
          detail: `${call} (${path}): HTTP ${status}`,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        },
      };
    }
    try {
      return { text, json: JSON.parse(text) as unknown };
    } catch {
      return unreadable(call, 'an answer that is not JSON');
    }
  }
}

/** A token answer's token, or why it has none (whatever it says, the message is not at fault: it waits). */
function tokenOf(json: unknown): { token: string; expiresInSeconds: number } | { failure: RetryResult } {
  const wire = json as WireTokenAnswer | undefined;
  if (typeof wire?.access_token === 'string' && wire.access_token.length > 0 && typeof wire.expires_in === 'number' && wire.expires_in > 0) {
    return { token: wire.access_token, expiresInSeconds: wire.expires_in };
  }
  if (typeof wire?.errcode === 'number' && wire.errcode !== 0) {
    const result = resultOfErrcode(wire.errcode, wire.errmsg, 'token');
    return { failure: result.outcome === 'RETRY' ? result : { outcome: 'RETRY', reason: 'UNAVAILABLE', detail: result.detail } };
  }
  return unreadable('token', 'an answer with neither access_token and expires_in nor errcode');
}

function unreadable(call: string, what: string): { failure: RetryResult } {
  return { failure: { outcome: 'RETRY', reason: 'UNAVAILABLE', detail: `${call}: WeChat gave ${what}` } };
}

/**
 * The `msgid` as WeChat wrote it. It is a 64-bit number, beyond what a JavaScript number holds
 * exactly, so it is read from the text rather than from the parsed JSON.
 */
function msgidOf(text: string): string | undefined {
  return /"msgid"\s*:\s*"?(\d+)/.exec(text)?.[1];
}

/** `Retry-After` in seconds (the only form WeChat's gateways would send), as milliseconds. */
function retryAfterOf(header: string | null): number | undefined {
  if (!header || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}
