// The messaging SDK: the port the coalition's core drives to deliver a message to a member
// (a WeChat subscribe message, later SMS or e-mail), implemented once per provider under
// messaging/<provider>/. It imports nothing from the rest of the tree; adapters import only
// this file. The core decides what is sent and when (quiet hours, frequency caps, opt-out,
// localized templates); a provider only delivers one message and says how that went.

/** A locale as the core names it; providers map it to theirs (WeChat: `zh_CN`, `en_US`). */
export type MessageLocale = 'zh-CN' | 'en' | (string & {});

/** One message to one member, already rendered by the core. */
export interface OutboundMessage {
  /**
   * Our id of the message, the idempotency key: sending it again after it was `SENT` delivers
   * nothing more and answers `SENT` with the first `providerMessageId` (as far as the provider
   * can tell; each adapter's README says how far that is).
   */
  messageId: string;
  /** Who receives it, as the provider knows them: a pseudonymous id (an openid), never a phone number or a name. */
  recipient: string;
  /** The provider's template id (a WeChat subscribe-message template, an SMS template code). */
  template: string;
  /** The locale the fields were rendered in. */
  locale: MessageLocale;
  /** The template's fields by the provider's key (`thing1`, `time2`, …), values already localized. */
  fields: Readonly<Record<string, string>>;
  /** Where tapping the message leads in the app (a mini-program page with its query, `pages/tier/index?from=msg`). */
  link?: string;
}

/** How a send ended. */
export type SendOutcome = 'SENT' | 'REFUSED' | 'RETRY';

/**
 * Why a message was refused for good: sending it again, unchanged, would be refused again.
 * The core gives up on it (and may act on the reason: ask the member to subscribe again).
 */
export type RefusalReason =
  /** The member has not subscribed to this template, has used up the subscription, or unsubscribed. */
  | 'NOT_SUBSCRIBED'
  /** The provider does not know the recipient (an openid of another app, or none). */
  | 'INVALID_RECIPIENT'
  /** The provider does not know the template. */
  | 'INVALID_TEMPLATE'
  /** The fields, link or locale do not fit the template (a field missing, too long, a page that does not exist). */
  | 'INVALID_MESSAGE';

/**
 * Why a message was not delivered this time: the same message (same `messageId`) may be sent
 * again later, after `retryAfterMs` when given, else after the core's own backoff.
 */
export type RetryReason =
  /** The provider limits how fast or how much we send. */
  | 'RATE_LIMITED'
  /** The provider is busy or failing (a 5xx, "system busy", an answer we cannot read). */
  | 'UNAVAILABLE'
  /**
   * No answer (connection refused or reset, timeout): the message **may have been delivered**.
   * Sending it again under the same `messageId` is how to find out, where the provider dedupes.
   */
  | 'NO_ANSWER'
  /** The provider refused our credentials: a configuration problem, no fault of the message. */
  | 'UNAUTHORIZED';

/** Delivered (or delivered before, under the same `messageId`). */
export interface SentResult {
  outcome: 'SENT';
  /** The provider's id of the delivered message (WeChat's `msgid`), when it gives one. */
  providerMessageId?: string;
}

/** Refused for good: the core does not send this message again. */
export interface RefusedResult {
  outcome: 'REFUSED';
  reason: RefusalReason;
  /** What the provider said (its code and message), for the core's records and logs. */
  detail: string;
}

/** Not delivered this time: the core's outbox sends it again, with backoff. */
export interface RetryResult {
  outcome: 'RETRY';
  reason: RetryReason;
  /** What the provider said, or what failed on the way. */
  detail: string;
  /** How long to wait at least before sending again, when the provider (or the adapter) knows. */
  retryAfterMs?: number;
}

/** How a send ended: exactly one of delivered, refused for good, or to be tried again. */
export type SendResult = SentResult | RefusedResult | RetryResult;

/**
 * A messaging provider. `send` does not throw for anything the provider or the network does:
 * every such case is a {@link SendResult}. A message the adapter can tell is malformed before
 * sending it (no recipient, no fields) is `REFUSED` with `INVALID_MESSAGE`, nothing sent.
 */
export interface MessagingProvider {
  /** Its name in our records (which provider delivered a message). */
  readonly name: string;
  send(message: OutboundMessage): Promise<SendResult>;
}

/** How to start a messaging provider's sandbox (a real HTTP server on loopback). */
export interface MessagingSandboxOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 */
  port?: number;
}

/** Starts a provider's sandbox (development and tests only). */
export type MessagingSandboxStarter = (options: MessagingSandboxOptions) => Promise<RunningMessagingSandbox>;

/** A running messaging sandbox and what an adapter needs to talk to it. */
export interface RunningMessagingSandbox {
  /** Base URL of its API (its admin endpoints, `/sandbox/…`, are under it too). */
  url: string;
  /** The settings its adapter is configured with (as `MESSAGING_<PROVIDER>_…` would give them). */
  adapterSettings: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A provider as the composition root sees it: its name, the environment variables it is
 * configured by (`MESSAGING_<PROVIDER>_…`, like payments' `PAYMENT_<PROVIDER>_…`) and how to
 * build it from them, or from a sandbox's `adapterSettings`.
 */
export interface MessagingAdapter {
  readonly name: string;
  /** Prefix of its environment variables, e.g. `MESSAGING_WECHAT_SUBSCRIBE_`. */
  readonly envPrefix: string;
  /** Builds the provider from its settings; throws naming what to set when something is missing. */
  create(settings: Readonly<Record<string, string | undefined>>): MessagingProvider;
}
