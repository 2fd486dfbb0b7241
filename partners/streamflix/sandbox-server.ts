import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import {
  allowMethod,
  headerValue,
  HttpProblem,
  IdempotencyStore,
  parseBody,
  readBody,
  sandboxSettings,
  sha256,
  startSandboxServer,
  type Outcome,
} from '../sdk/sandbox-kit.js';
import { STREAMFLIX_WEBHOOK_PATH, type StreamflixRightStatus } from './client.js';
import { assertWebhookSecrets, generateWebhookSecret, localize, negotiateLocale, signWebhook, verifyWebhook, WebhookVerificationError, type Locale, type LocalizedText, type RunningSandbox, type SandboxOptions, type WebhookVerificationReason } from '../sdk/index.js';
import type { PartnerSandbox } from '../sdk/index.js';
import { STREAMFLIX_ID } from './client.js';

// The sandbox plays Streamflix: its wire format is Streamflix's, described in client.ts.

/** How to start the Streamflix sandbox: the common sandbox options, its webhook secrets and its acknowledgements. */
export interface StreamflixSandboxOptions extends SandboxOptions {
  /**
   * Secrets the coalition signs its webhooks with (`whsec_<base64>`); a webhook is accepted
   * when it carries a signature by any of them. @default one generated secret, exposed on the sandbox
   */
  webhookSecrets?: string[];
  /** Largest accepted age (or lead) of a webhook's timestamp, in seconds. @default 300 */
  webhookToleranceSeconds?: number;
  /** The origin members' browsers reach the sandbox at, for activation links. @default its listening URL */
  publicUrl?: string;
  /**
   * Where to POST the signed `right.acknowledged` webhook once a member links their
   * account. @default none: linking is acknowledged only through `GET /v1/rights/:entitlementId`
   */
  acknowledgeUrl?: string;
  /** Secrets to sign acknowledgements with (`whsec_<base64>`); required with `acknowledgeUrl`. */
  acknowledgeSecrets?: string[];
  /** Pauses between acknowledgement attempts, in milliseconds; one retry per entry. @default [250, 1000, 4000] */
  acknowledgeRetryDelaysMs?: readonly number[];
  /** Per-attempt timeout of an acknowledgement, in milliseconds. @default 2000 */
  acknowledgeTimeoutMs?: number;
}

/** The Streamflix sandbox listening on loopback. */
export interface RunningStreamflixSandbox extends RunningSandbox {
  /** Where it receives the coalition's webhooks. */
  readonly webhookUrl: string;
  /** The secrets it verifies webhooks against (generated when none were given). */
  readonly webhookSecrets: string[];
  /** Replaces the secrets it verifies webhooks against, as Streamflix does at the end of a rotation. */
  setWebhookSecrets(secrets: string[]): void;
  /** Resolves once every acknowledgement started so far was delivered or given up on. */
  acknowledgementsSettled(): Promise<void>;
}

interface Right {
  entitlementId: string;
  memberPseudonym: string;
  benefitCode: string;
  status: StreamflixRightStatus;
  validFrom: string;
  validUntil: string;
  activeUntil: string | null;
  /** The one-time code of the activation link last issued; consumed by linking. */
  activationCode: string;
  codeUsedAt: string | null;
  /** Streamflix's own user the right is linked to; the coalition never learns who that is. */
  streamflixUser: string | null;
  linkedAt: string | null;
  updatedAt: string;
}

/** One state change: what tests count to prove exactly-once. Linking has no event id. */
interface Effect {
  eventId: string | null;
  action: 'RIGHT_CREATED' | 'RIGHT_UPDATED' | 'RIGHT_REINSTATED' | 'RIGHT_REVOKED' | 'RIGHT_LINKED';
  entitlementId: string;
  at: string;
}

interface RejectedDelivery {
  eventId: string | null;
  reason: WebhookVerificationReason;
  at: string;
}

interface Acknowledgement {
  eventId: string;
  entitlementId: string;
  attempts: number;
  delivered: boolean;
  lastError: string | null;
}

const DEFAULT_ACKNOWLEDGE_RETRY_DELAYS_MS = [250, 1000, 4000] as const;
const DEFAULT_ACKNOWLEDGE_TIMEOUT_MS = 2000;
const MAX_USER_LENGTH = 64;

const instant = z.iso.datetime({ offset: true });
const eventBody = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('right.activate'),
      entitlementId: z.string().min(1),
      memberPseudonym: z.string().min(1),
      benefitCode: z.string().min(1),
      validFrom: instant,
      validUntil: instant,
    })
    .refine((event) => Date.parse(event.validFrom) < Date.parse(event.validUntil), {
      message: 'validFrom must be before validUntil',
      path: ['validUntil'],
    }),
  z.object({ type: z.literal('right.revoke'), entitlementId: z.string().min(1) }),
]);
type EventBody = z.output<typeof eventBody>;

/** In-memory state of one sandbox: Streamflix's rights, deliveries and idempotency records. */
class StreamflixSandboxState {
  readonly rights = new Map<string, Right>();
  readonly effects: Effect[] = [];
  /** Verified deliveries per webhook id: a retried event counts once per delivery. */
  readonly deliveries = new Map<string, number>();
  readonly rejectedDeliveries: RejectedDelivery[] = [];
  readonly acknowledgements: Acknowledgement[] = [];
  /** Answers by webhook id: a redelivery replays the first one. */
  readonly idempotency = new IdempotencyStore({ eventId: 'was already used for a different event' });

  /** Where members' browsers reach the sandbox; known once it listens. */
  publicUrl = 'http://sandbox.invalid';

  activationUrl(right: Right): string {
    const url = new URL('/activate', this.publicUrl);
    url.searchParams.set('entitlement', right.entitlementId);
    url.searchParams.set('code', right.activationCode);
    return url.href;
  }

  /** A right as Streamflix's API shows it to the coalition. */
  rightView(right: Right): unknown {
    return {
      entitlementId: right.entitlementId,
      memberPseudonym: right.memberPseudonym,
      benefitCode: right.benefitCode,
      status: right.status,
      validFrom: right.validFrom,
      validUntil: right.validUntil,
      activeUntil: right.activeUntil,
      activationUrl: right.status === 'PENDING_LINK' ? this.activationUrl(right) : null,
    };
  }
}

/**
 * Starts a sandbox of Streamflix on loopback. It answers like the real one:
 * - `POST /webhooks/coalition`: the coalition's `right.activate` / `right.revoke` events,
 *   Standard Webhooks signed (401 with the reason otherwise), applied once per
 *   `webhook-id`; answers `{ eventId, status }`.
 * - `GET /v1/rights/:entitlementId` with `Authorization: Bearer <apiKey>`.
 * - `GET /activate?entitlement=&code=`: the member's account-linking page; `POST /activate`
 *   (form: `entitlement`, `code`, `streamflixUser`) links the VIP to that Streamflix user,
 *   then POSTs a signed `right.acknowledged` webhook to `acknowledgeUrl`, if set, with retries.
 * - test hook `GET /admin/state` (API key), which stays up, free of injected latency and
 *   failures, while the rest is down.
 */
export async function startStreamflixSandbox(options: StreamflixSandboxOptions = {}): Promise<RunningStreamflixSandbox> {
  const settings = sandboxSettings('Streamflix', options);
  const {
    webhookToleranceSeconds = 300,
    acknowledgeRetryDelaysMs = DEFAULT_ACKNOWLEDGE_RETRY_DELAYS_MS,
    acknowledgeTimeoutMs = DEFAULT_ACKNOWLEDGE_TIMEOUT_MS,
  } = options;
  if (!(webhookToleranceSeconds >= 0)) {
    throw new RangeError(`Streamflix sandbox: webhookToleranceSeconds must be 0 or more, got ${webhookToleranceSeconds}`);
  }
  let webhookSecrets = [...(options.webhookSecrets ?? [generateWebhookSecret()])];
  assertWebhookSecrets(webhookSecrets, 'Streamflix sandbox: webhookSecrets');
  const acknowledge = acknowledgeTarget(options, acknowledgeRetryDelaysMs, acknowledgeTimeoutMs);

  const state = new StreamflixSandboxState();
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();

  function onLinked(right: Right): void {
    if (!acknowledge) return;
    const delivery = sendAcknowledgement(state, right, acknowledge, closing.signal).finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  async function acknowledgementsSettled(): Promise<void> {
    while (inFlight.size > 0) await Promise.all(inFlight);
  }

  async function route(req: IncomingMessage, url: URL, res: ServerResponse): Promise<Outcome | void> {
    const method = req.method ?? 'GET';
    if (url.pathname === STREAMFLIX_WEBHOOK_PATH) {
      allowMethod(method, 'POST');
      return receiveWebhook(state, req, await readBody(req), webhookSecrets, webhookToleranceSeconds);
    }
    if (url.pathname === '/activate') {
      const locale = negotiateLocale(headerValue(req, 'accept-language'));
      const page = method === 'POST' ? await linkAccount(state, req, locale, onLinked) : method === 'GET' ? activationPage(state, url, locale) : null;
      if (!page) throw new HttpProblem(405, 'method_not_allowed');
      res.writeHead(page.status, { 'content-type': 'text/html; charset=utf-8', 'content-language': locale });
      res.end(page.html);
      return;
    }
    const rightMatch = /^\/v1\/rights\/([^/]+)$/.exec(url.pathname);
    if (rightMatch) {
      allowMethod(method, 'GET');
      const right = state.rights.get(decodeURIComponent(rightMatch[1]!));
      if (!right) throw new HttpProblem(404, 'right_not_found');
      return { status: 200, body: state.rightView(right) };
    }
    throw new HttpProblem(404, 'not_found');
  }

  const sandbox = await startSandboxServer({
    settings,
    realm: 'streamflix',
    keyPrefix: 'sf',
    adminState: () => adminState(state),
    // The webhook endpoint and the member's linking page are not for the API key.
    requiresApiKey: (url) => url.pathname === '/admin/state' || url.pathname.startsWith('/v1/'),
    route,
    beforeClose: () => {
      closing.abort();
      return acknowledgementsSettled();
    },
    // Spare connections fetch opens ahead of need never carry a request, so never count as idle.
    closeConnections: 'all',
  });
  state.publicUrl = options.publicUrl ?? sandbox.url;

  return {
    ...sandbox,
    webhookUrl: sandbox.url + STREAMFLIX_WEBHOOK_PATH,
    get webhookSecrets() {
      return [...webhookSecrets];
    },
    setWebhookSecrets(secrets: string[]) {
      assertWebhookSecrets(secrets, 'Streamflix sandbox: setWebhookSecrets');
      webhookSecrets = [...secrets];
    },
    acknowledgementsSettled,
  };
}

/**
 * Verifies a webhook, then applies its event once per `webhook-id`: a redelivery replays
 * the first answer, an id reused for a different event is refused, and a webhook that
 * fails verification changes nothing.
 */
function receiveWebhook(state: StreamflixSandboxState, req: IncomingMessage, raw: Buffer, secrets: readonly string[], toleranceSeconds: number): Outcome {
  let eventId: string;
  try {
    eventId = verifyWebhook(raw, req.headers, secrets, { toleranceSeconds }).id;
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    state.rejectedDeliveries.push({ eventId: headerValue(req, 'webhook-id') ?? null, reason: error.reason, at: new Date().toISOString() });
    throw new HttpProblem(401, 'invalid_signature', undefined, { reason: error.reason, message: error.message });
  }
  state.deliveries.set(eventId, (state.deliveries.get(eventId) ?? 0) + 1);

  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'invalid_event', { body: 'not valid JSON' });
  }
  const event = parseBody(eventBody, json, 'invalid_event');

  return state.idempotency.run(eventId, JSON.stringify(event), () => {
    const status = event.type === 'right.activate' ? activateRight(state, eventId, event) : revokeRight(state, eventId, event.entitlementId);
    return { status: 200, body: { eventId, status } };
  });
}

function activateRight(state: StreamflixSandboxState, eventId: string, event: Extract<EventBody, { type: 'right.activate' }>): StreamflixRightStatus {
  const now = new Date().toISOString();
  const existing = state.rights.get(event.entitlementId);
  const validUntil = new Date(event.validUntil).toISOString();
  // A right already linked keeps playing (a renewal extends it); otherwise it waits for the member to link an account.
  const linked = existing?.streamflixUser != null;
  const status: StreamflixRightStatus = linked ? 'ACTIVE' : 'PENDING_LINK';
  const freshCode = !existing || (existing.status === 'REVOKED' && !linked);
  state.rights.set(event.entitlementId, {
    entitlementId: event.entitlementId,
    memberPseudonym: event.memberPseudonym,
    benefitCode: event.benefitCode,
    status,
    validFrom: new Date(event.validFrom).toISOString(),
    validUntil,
    activeUntil: linked ? validUntil : null,
    activationCode: freshCode ? randomBytes(18).toString('base64url') : existing.activationCode,
    codeUsedAt: freshCode ? null : existing.codeUsedAt,
    streamflixUser: existing?.streamflixUser ?? null,
    linkedAt: existing?.linkedAt ?? null,
    updatedAt: now,
  });
  const action = !existing ? 'RIGHT_CREATED' : existing.status === 'REVOKED' ? 'RIGHT_REINSTATED' : 'RIGHT_UPDATED';
  state.effects.push({ eventId, action, entitlementId: event.entitlementId, at: now });
  return status;
}

function revokeRight(state: StreamflixSandboxState, eventId: string, entitlementId: string): StreamflixRightStatus | null {
  const right = state.rights.get(entitlementId);
  // Revoking what is unknown or already revoked is a success with no effect: retries and reordering stay harmless.
  if (!right) return null;
  if (right.status !== 'REVOKED') {
    const now = new Date().toISOString();
    const activeUntil = right.status === 'ACTIVE' ? (now < right.validUntil ? now : right.validUntil) : null;
    state.rights.set(entitlementId, { ...right, status: 'REVOKED', activeUntil, updatedAt: now });
    state.effects.push({ eventId, action: 'RIGHT_REVOKED', entitlementId, at: now });
  }
  return 'REVOKED';
}

// ---- The member's account-linking page -------------------------------------------------

const TEXT = {
  title: { en: 'Link your Streamflix account', 'zh-CN': '关联你的 Streamflix 账号' },
  intro: {
    en: 'Your membership includes Streamflix VIP until {until}. Enter your Streamflix username to start watching.',
    'zh-CN': '你的会员权益包含 Streamflix VIP，有效期至 {until}。填写你的 Streamflix 用户名即可开始观看。',
  },
  user: { en: 'Streamflix username', 'zh-CN': 'Streamflix 用户名' },
  submit: { en: 'Activate VIP', 'zh-CN': '激活 VIP' },
  linked: { en: 'Streamflix VIP is active for {user} until {until}.', 'zh-CN': '{user} 的 Streamflix VIP 已激活，有效期至 {until}。' },
  invalid: { en: 'This activation link is not valid.', 'zh-CN': '此激活链接无效。' },
  used: { en: 'This activation link has already been used.', 'zh-CN': '此激活链接已被使用。' },
  revoked: { en: 'This Streamflix VIP is no longer available.', 'zh-CN': '此 Streamflix VIP 已不可用。' },
  badUser: {
    en: `Enter your Streamflix username (1 to ${MAX_USER_LENGTH} characters).`,
    'zh-CN': `请填写你的 Streamflix 用户名（1 至 ${MAX_USER_LENGTH} 个字符）。`,
  },
} satisfies Record<string, LocalizedText>;

interface Page {
  status: number;
  html: string;
}

function activationPage(state: StreamflixSandboxState, url: URL, locale: Locale): Page {
  const found = findByCode(state, url.searchParams.get('entitlement'), url.searchParams.get('code'), locale);
  if ('status' in found) return found;
  const { right } = found;
  return page(locale, 200, [
    `<p>${escapeHtml(fill(localize(TEXT.intro, locale), { until: formatInstant(right.validUntil, locale) }))}</p>`,
    '<form method="post" action="/activate">',
    `<input type="hidden" name="entitlement" value="${escapeHtml(right.entitlementId)}">`,
    `<input type="hidden" name="code" value="${escapeHtml(right.activationCode)}">`,
    `<label>${escapeHtml(localize(TEXT.user, locale))} <input name="streamflixUser" required maxlength="${MAX_USER_LENGTH}" autocomplete="username"></label>`,
    `<button type="submit">${escapeHtml(localize(TEXT.submit, locale))}</button>`,
    '</form>',
  ]);
}

async function linkAccount(state: StreamflixSandboxState, req: IncomingMessage, locale: Locale, onLinked: (right: Right) => void): Promise<Page> {
  const form = new URLSearchParams((await readBody(req)).toString('utf8'));
  const found = findByCode(state, form.get('entitlement'), form.get('code'), locale);
  if ('status' in found) return found;
  const user = form.get('streamflixUser')?.trim() ?? '';
  if (user.length === 0 || user.length > MAX_USER_LENGTH || /\p{Cc}/u.test(user)) {
    return page(locale, 400, [`<p>${escapeHtml(localize(TEXT.badUser, locale))}</p>`]);
  }

  const now = new Date().toISOString();
  const linked: Right = {
    ...found.right,
    status: 'ACTIVE',
    activeUntil: found.right.validUntil,
    codeUsedAt: now,
    streamflixUser: user,
    linkedAt: now,
    updatedAt: now,
  };
  state.rights.set(linked.entitlementId, linked);
  state.effects.push({ eventId: null, action: 'RIGHT_LINKED', entitlementId: linked.entitlementId, at: now });
  onLinked(linked);
  const message = fill(localize(TEXT.linked, locale), { user, until: formatInstant(linked.validUntil, locale) });
  return page(locale, 200, [`<p>${escapeHtml(message)}</p>`]);
}

/** The right a link's one-time code opens, or the page refusing it. */
function findByCode(state: StreamflixSandboxState, entitlementId: string | null, code: string | null, locale: Locale): { right: Right } | Page {
  const right = entitlementId ? state.rights.get(entitlementId) : undefined;
  // A wrong code and an unknown entitlement read the same: the page tells nothing to someone guessing.
  if (!right || !code || !timingSafeEqual(sha256(code), sha256(right.activationCode))) {
    return page(locale, 404, [`<p>${escapeHtml(localize(TEXT.invalid, locale))}</p>`]);
  }
  if (right.status === 'REVOKED') return page(locale, 410, [`<p>${escapeHtml(localize(TEXT.revoked, locale))}</p>`]);
  if (right.codeUsedAt) return page(locale, 410, [`<p>${escapeHtml(localize(TEXT.used, locale))}</p>`]);
  return { right };
}

function page(locale: Locale, status: number, body: string[]): Page {
  const title = escapeHtml(localize(TEXT.title, locale));
  const html = [
    '<!doctype html>',
    `<html lang="${locale}">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>`,
    `<body><h1>${title}</h1>`,
    ...body,
    '</body></html>',
  ].join('\n');
  return { status, html };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}

function formatInstant(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' }).format(new Date(iso));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// ---- Acknowledgements back to the coalition ----------------------------------------------

interface AcknowledgeTarget {
  url: URL;
  secrets: string[];
  retryDelaysMs: readonly number[];
  timeoutMs: number;
}

function acknowledgeTarget(options: StreamflixSandboxOptions, retryDelaysMs: readonly number[], timeoutMs: number): AcknowledgeTarget | null {
  if (options.acknowledgeUrl === undefined) return null;
  let url: URL;
  try {
    url = new URL(options.acknowledgeUrl);
  } catch {
    throw new TypeError(`Streamflix sandbox: acknowledgeUrl must be an absolute http(s) URL, got ${JSON.stringify(options.acknowledgeUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Streamflix sandbox: acknowledgeUrl must be an absolute http(s) URL, got ${JSON.stringify(options.acknowledgeUrl)}`);
  }
  const secrets = [...(options.acknowledgeSecrets ?? [])];
  assertWebhookSecrets(secrets, 'Streamflix sandbox: acknowledgeSecrets (required with acknowledgeUrl)');
  if (!retryDelaysMs.every((ms) => ms >= 0)) throw new RangeError('Streamflix sandbox: acknowledgeRetryDelaysMs must all be 0 or more');
  if (!(timeoutMs > 0)) throw new RangeError(`Streamflix sandbox: acknowledgeTimeoutMs must be more than 0, got ${timeoutMs}`);
  return { url, secrets, retryDelaysMs, timeoutMs };
}

/**
 * POSTs `right.acknowledged`, signed, until the coalition answers 2xx or the retries run
 * out. Every attempt keeps the webhook id (the coalition dedupes by it) and signs anew.
 */
async function sendAcknowledgement(state: StreamflixSandboxState, right: Right, target: AcknowledgeTarget, closing: AbortSignal): Promise<void> {
  const record: Acknowledgement = { eventId: `ack_${randomUUID()}`, entitlementId: right.entitlementId, attempts: 0, delivered: false, lastError: null };
  state.acknowledgements.push(record);
  const body = JSON.stringify({ type: 'right.acknowledged', entitlementId: right.entitlementId, status: 'ACTIVE', activeUntil: right.activeUntil });

  for (let retry = 0; !closing.aborted; retry++) {
    record.attempts++;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { ...signWebhook({ id: record.eventId, timestamp: new Date(), body, secrets: target.secrets }), 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([closing, AbortSignal.timeout(target.timeoutMs)]),
      });
      await response.arrayBuffer();
      if (response.ok) {
        record.delivered = true;
        record.lastError = null;
        return;
      }
      record.lastError = `HTTP ${response.status}`;
    } catch (error) {
      record.lastError = error instanceof Error ? error.message : String(error);
    }
    const pause = target.retryDelaysMs[retry];
    if (pause === undefined) return;
    try {
      await delay(pause, undefined, { signal: closing });
    } catch {
      return;
    }
  }
}

// ---- Plumbing ---------------------------------------------------------------------------

function adminState(state: StreamflixSandboxState): unknown {
  return {
    rights: [...state.rights.values()].map((right) => ({ ...right, activationUrl: state.activationUrl(right) })),
    deliveries: Object.fromEntries(state.deliveries),
    rejectedDeliveries: state.rejectedDeliveries,
    effects: state.effects,
    acknowledgements: state.acknowledgements,
  };
}

/** Streamflix's sandbox, for the demo and the tests (never loaded in production). */
export const streamflixSandbox: PartnerSandbox = { id: STREAMFLIX_ID, start: (options) => startStreamflixSandbox(options) };

