import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import {
  allowMethod,
  headerValue,
  HttpProblem,
  IdempotencyStore,
  readJson,
  requireIdempotencyKey,
  sandboxSettings,
  startSandboxServer,
} from '../sdk/sandbox-kit.js';
import { signWebhook, type RunningSandbox, type SandboxOptions } from '../sdk/index.js';
import type { PartnerSandbox } from '../sdk/index.js';
import { SKYMILES_ID } from './client.js';

// The sandbox plays SkyMiles: its wire format is SkyMiles', described in client.ts.

/** How to start a SkyMiles sandbox: the common sandbox options plus SkyMiles' asynchronous confirmation. */
export interface SkymilesSandboxOptions extends SandboxOptions {
  /** Delay between a conversion request and SkyMiles crediting (or rejecting) it, in milliseconds. @default 200 */
  confirmAfterMs?: number;
  /**
   * Where SkyMiles posts a signed `right.acknowledged` webhook once it has credited or
   * rejected a conversion. Without it (or without `acknowledgeSecrets`) no webhook is sent.
   */
  acknowledgeUrl?: string;
  /**
   * Standard Webhooks secrets (`whsec_<base64>`) that sign the webhooks; each one adds a
   * `v1,` signature, so a receiver rotating secrets accepts either.
   */
  acknowledgeSecrets?: string[];
  /** Member pseudonyms whose conversions SkyMiles rejects (their accounts cannot earn miles). @default [] */
  rejectPseudonyms?: string[];
  /** Delivery attempts per webhook while the receiver answers non-2xx or not at all. @default 5 */
  acknowledgeAttempts?: number;
  /** Wait before the first redelivery, doubled for each further one, in milliseconds. @default 250 */
  acknowledgeRetryDelayMs?: number;
  /** Timeout of one delivery attempt, in milliseconds. @default 2000 */
  acknowledgeTimeoutMs?: number;
}

type ConversionStatus = 'PENDING' | 'CREDITED' | 'REVERSED' | 'REJECTED';

interface Conversion {
  conversionId: string;
  memberPseudonym: string;
  accountNumber: string;
  miles: number;
  validUntil: string;
  status: ConversionStatus;
  reference: string | null;
  requestedAt: string;
  creditedAt: string | null;
  reversedAt: string | null;
  rejectedAt: string | null;
  rejectionReason: string | null;
  /** The event that opened the current attempt: the credit (or rejection) is its effect. */
  openedByEventId: string;
}

/** One state change, caused by a call or by SkyMiles settling it: what tests count to prove exactly-once. */
interface Effect {
  eventId: string;
  action: 'CONVERSION_REQUESTED' | 'CONVERSION_REOPENED' | 'MILES_CREDITED' | 'CONVERSION_REJECTED' | 'CREDIT_REVERSED' | 'REQUEST_WITHDRAWN';
  conversionId: string;
  /** Change to the account balance. */
  miles: number;
  at: string;
}

/** One `right.acknowledged` webhook and how its delivery went. */
interface Acknowledgement {
  webhookId: string;
  conversionId: string;
  status: 'ACTIVE' | 'REJECTED';
  attempts: number;
  delivered: boolean;
  /** HTTP status of the last attempt; null when the receiver did not answer. */
  lastResponseStatus: number | null;
}

interface WebhookSettings {
  url: string;
  secrets: string[];
  attempts: number;
  retryDelayMs: number;
  timeoutMs: number;
}

const MAX_MILES = 10_000_000;
const DEFAULT_CONFIRM_AFTER_MS = 200;
const REJECTION_REASON = 'account_not_eligible';

const conversionBody = z.object({
  conversionId: z.string().min(1).max(200),
  memberPseudonym: z.string().min(1).max(200),
  miles: z.number().int().min(1).max(MAX_MILES),
  validUntil: z.iso.datetime({ offset: true }),
});

/**
 * In-memory SkyMiles: conversions, account balances, idempotency records, and the timers
 * and webhook deliveries that settle conversions in the background.
 */
class SkymilesSandboxState {
  readonly conversions = new Map<string, Conversion>();
  readonly balances = new Map<string, number>();
  readonly effects: Effect[] = [];
  readonly acknowledgements: Acknowledgement[] = [];
  /** Idempotency records by `Idempotency-Key`; errors are not stored, so a corrected call can reuse the key. */
  readonly idempotency = new IdempotencyStore({ idempotencyKey: 'was already used for a different call' });
  private readonly confirmations = new Map<string, NodeJS.Timeout>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly rejectPseudonyms: ReadonlySet<string>;

  constructor(
    private readonly confirmAfterMs: number,
    rejectPseudonyms: readonly string[],
    private readonly webhook: WebhookSettings | null,
  ) {
    this.rejectPseudonyms = new Set(rejectPseudonyms);
  }

  /** Settles the conversion after `confirmAfterMs`, replacing any confirmation still pending for it. */
  scheduleConfirmation(conversionId: string): void {
    this.cancelConfirmation(conversionId);
    const timer = setTimeout(() => {
      this.confirmations.delete(conversionId);
      this.settle(conversionId);
    }, this.confirmAfterMs);
    this.confirmations.set(conversionId, timer);
  }

  cancelConfirmation(conversionId: string): void {
    clearTimeout(this.confirmations.get(conversionId));
    this.confirmations.delete(conversionId);
  }

  /** Stops confirming and delivering, and waits for deliveries in flight to give up. */
  async stop(): Promise<void> {
    for (const timer of this.confirmations.values()) clearTimeout(timer);
    this.confirmations.clear();
    this.shutdown.abort();
    await Promise.allSettled([...this.deliveries]);
  }

  private settle(conversionId: string): void {
    const conversion = this.conversions.get(conversionId);
    if (!conversion || conversion.status !== 'PENDING') return;
    const now = new Date().toISOString();
    if (this.rejectPseudonyms.has(conversion.memberPseudonym)) {
      conversion.status = 'REJECTED';
      conversion.rejectedAt = now;
      conversion.rejectionReason = REJECTION_REASON;
      this.effects.push({ eventId: conversion.openedByEventId, action: 'CONVERSION_REJECTED', conversionId, miles: 0, at: now });
      this.acknowledge(conversionId, 'REJECTED', { type: 'right.acknowledged', entitlementId: conversionId, status: 'REJECTED', reason: REJECTION_REASON });
      return;
    }
    const reference = `SKC${randomBytes(5).toString('hex').toUpperCase()}`;
    conversion.status = 'CREDITED';
    conversion.reference = reference;
    conversion.creditedAt = now;
    this.balances.set(conversion.accountNumber, (this.balances.get(conversion.accountNumber) ?? 0) + conversion.miles);
    this.effects.push({ eventId: conversion.openedByEventId, action: 'MILES_CREDITED', conversionId, miles: conversion.miles, at: now });
    this.acknowledge(conversionId, 'ACTIVE', {
      type: 'right.acknowledged',
      entitlementId: conversionId,
      status: 'ACTIVE',
      activeUntil: conversion.validUntil,
      reference,
    });
  }

  private acknowledge(conversionId: string, status: Acknowledgement['status'], payload: Record<string, unknown>): void {
    if (!this.webhook) return;
    // One id per event, kept across redeliveries, so the receiver can drop duplicates.
    const record: Acknowledgement = { webhookId: `msg_${randomUUID()}`, conversionId, status, attempts: 0, delivered: false, lastResponseStatus: null };
    this.acknowledgements.push(record);
    const delivery = deliver(this.webhook, record, JSON.stringify(payload), this.shutdown.signal).finally(() => {
      this.deliveries.delete(delivery);
    });
    this.deliveries.add(delivery);
  }

  conversionView(conversion: Conversion): unknown {
    const { openedByEventId: _openedBy, ...view } = conversion;
    return view;
  }
}

/**
 * Starts a sandbox of SkyMiles' partner API on loopback. It answers like the real one:
 * `Authorization: Bearer <apiKey>` on every call (401 otherwise), calls idempotent by their
 * `Idempotency-Key`, latency or failures injected on request. A conversion is credited
 * `confirmAfterMs` after it is requested, to an account number SkyMiles derives from the
 * member's pseudonym, and SkyMiles then posts a signed `right.acknowledged` webhook
 * (Standard Webhooks) to `acknowledgeUrl`, redelivering with backoff until a 2xx.
 *
 * API: `POST /v1/conversions`, `GET /v1/conversions/:conversionId`,
 * `POST /v1/conversions/:conversionId/reversal`; test hook `GET /admin/state`, which stays
 * up (and free of injected latency and failures) while the API is down. Conversions keep
 * being settled and acknowledged while the API is down.
 */
export async function startSkymilesSandbox(options: SkymilesSandboxOptions = {}): Promise<RunningSandbox> {
  const settings = sandboxSettings('SkyMiles', options);
  const { confirmAfterMs = DEFAULT_CONFIRM_AFTER_MS, rejectPseudonyms = [] } = options;
  if (!(confirmAfterMs >= 0)) {
    throw new RangeError(`SkyMiles sandbox: confirmAfterMs must be 0 or more, got ${confirmAfterMs}`);
  }
  const state = new SkymilesSandboxState(confirmAfterMs, rejectPseudonyms, webhookSettings(options));
  return startSandboxServer({
    settings,
    realm: 'skymiles',
    keyPrefix: 'sm',
    adminState: () => adminState(state),
    route: (req, url) => route(state, req, url),
    beforeClose: () => state.stop(),
  });
}

/** The webhook settings, or null when no webhook is to be sent; throws on a half or bad configuration. */
function webhookSettings(options: SkymilesSandboxOptions): WebhookSettings | null {
  const { acknowledgeUrl, acknowledgeSecrets, acknowledgeAttempts = 5, acknowledgeRetryDelayMs = 250, acknowledgeTimeoutMs = 2000 } = options;
  if (acknowledgeUrl === undefined && acknowledgeSecrets === undefined) return null;
  if (!acknowledgeUrl || !acknowledgeSecrets?.length) {
    throw new TypeError('SkyMiles sandbox: set both acknowledgeUrl and acknowledgeSecrets (whsec_…) to receive acknowledgements, or neither');
  }
  if (!URL.canParse(acknowledgeUrl)) {
    throw new TypeError(`SkyMiles sandbox: acknowledgeUrl must be an absolute URL, got ${JSON.stringify(acknowledgeUrl)}`);
  }
  if (!(Number.isInteger(acknowledgeAttempts) && acknowledgeAttempts >= 1)) {
    throw new RangeError(`SkyMiles sandbox: acknowledgeAttempts must be an integer of 1 or more, got ${acknowledgeAttempts}`);
  }
  if (!(acknowledgeRetryDelayMs >= 0 && acknowledgeTimeoutMs > 0)) {
    throw new RangeError('SkyMiles sandbox: acknowledgeRetryDelayMs must be 0 or more and acknowledgeTimeoutMs more than 0');
  }
  // Signing once now turns a malformed secret into a start-up error rather than silent undelivered webhooks.
  signWebhook({ id: 'msg_startup_check', timestamp: new Date(), body: '', secrets: acknowledgeSecrets });
  return { url: acknowledgeUrl, secrets: [...acknowledgeSecrets], attempts: acknowledgeAttempts, retryDelayMs: acknowledgeRetryDelayMs, timeoutMs: acknowledgeTimeoutMs };
}

/** Posts one signed webhook until a 2xx, at most `attempts` times, backing off exponentially. */
async function deliver(settings: WebhookSettings, record: Acknowledgement, body: string, shutdown: AbortSignal): Promise<void> {
  for (let attempt = 1; attempt <= settings.attempts && !shutdown.aborted; attempt++) {
    if (attempt > 1) {
      try {
        await delay(settings.retryDelayMs * 2 ** (attempt - 2), undefined, { signal: shutdown });
      } catch {
        return;
      }
    }
    record.attempts = attempt;
    // Signed afresh per attempt: the timestamp is when this attempt was sent.
    const headers = signWebhook({ id: record.webhookId, timestamp: new Date(), body, secrets: settings.secrets });
    try {
      const response = await fetch(settings.url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([shutdown, AbortSignal.timeout(settings.timeoutMs)]),
      });
      await response.arrayBuffer();
      record.lastResponseStatus = response.status;
      if (response.ok) {
        record.delivered = true;
        return;
      }
    } catch {
      record.lastResponseStatus = null;
    }
  }
}

async function route(state: SkymilesSandboxState, req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/v1/conversions') {
    allowMethod(method, 'POST');
    return requestConversion(state, req, await readJson(req));
  }
  const reversalMatch = /^\/v1\/conversions\/([^/]+)\/reversal$/.exec(url.pathname);
  if (reversalMatch) {
    allowMethod(method, 'POST');
    return reverseConversion(state, decodeURIComponent(reversalMatch[1]!), req);
  }
  const conversionMatch = /^\/v1\/conversions\/([^/]+)$/.exec(url.pathname);
  if (conversionMatch) {
    allowMethod(method, 'GET');
    const conversion = state.conversions.get(decodeURIComponent(conversionMatch[1]!));
    if (!conversion) throw new HttpProblem(404, 'conversion_not_found');
    return { status: 200, body: state.conversionView(conversion) };
  }
  throw new HttpProblem(404, 'not_found');
}

function requestConversion(state: SkymilesSandboxState, req: IncomingMessage, json: unknown): { status: number; body: unknown } {
  const eventId = headerValue(req, 'idempotency-key');
  const parsed = conversionBody.safeParse(json);
  if (!parsed.success || !eventId) {
    throw new HttpProblem(400, 'invalid_request', {
      ...(parsed.success ? {} : z.flattenError(parsed.error).fieldErrors),
      ...(eventId ? {} : { idempotencyKey: 'send an Idempotency-Key header' }),
    });
  }
  const request = { ...parsed.data, validUntil: new Date(parsed.data.validUntil).toISOString() };

  return state.idempotency.run(eventId, JSON.stringify(['POST', request]), () => {
    const existing = state.conversions.get(request.conversionId);
    if (existing && (existing.status === 'PENDING' || existing.status === 'CREDITED')) {
      // One conversion per id: a new event for a live one is a retry, unless it asks for something else.
      const same =
        existing.memberPseudonym === request.memberPseudonym && existing.miles === request.miles && existing.validUntil === request.validUntil;
      if (!same) throw new HttpProblem(409, 'conversion_conflict', { conversionId: `already requested with other terms, status ${existing.status}` });
      return { status: 200, body: state.conversionView(existing) };
    }
    // New, or a reversed or rejected one asked for again: a fresh attempt on the same conversion.
    const now = new Date().toISOString();
    const conversion: Conversion = {
      conversionId: request.conversionId,
      memberPseudonym: request.memberPseudonym,
      accountNumber: accountNumberOf(request.memberPseudonym),
      miles: request.miles,
      validUntil: request.validUntil,
      status: 'PENDING',
      reference: null,
      requestedAt: now,
      creditedAt: null,
      reversedAt: null,
      rejectedAt: null,
      rejectionReason: null,
      openedByEventId: eventId,
    };
    state.conversions.set(conversion.conversionId, conversion);
    state.effects.push({ eventId, action: existing ? 'CONVERSION_REOPENED' : 'CONVERSION_REQUESTED', conversionId: conversion.conversionId, miles: 0, at: now });
    state.scheduleConfirmation(conversion.conversionId);
    return { status: existing ? 200 : 201, body: state.conversionView(conversion) };
  });
}

function reverseConversion(state: SkymilesSandboxState, conversionId: string, req: IncomingMessage): { status: number; body: unknown } {
  const eventId = requireIdempotencyKey(req, 'idempotencyKey');
  return state.idempotency.run(eventId, JSON.stringify(['REVERSE', conversionId]), () => {
    const conversion = state.conversions.get(conversionId);
    if (!conversion) return { status: 404, body: { error: 'conversion_not_found' } };
    const now = new Date().toISOString();
    // Reversing what is reversed or rejected has no effect: retries and reordering stay harmless.
    if (conversion.status === 'PENDING') {
      state.cancelConfirmation(conversionId);
      conversion.status = 'REVERSED';
      conversion.reversedAt = now;
      state.effects.push({ eventId, action: 'REQUEST_WITHDRAWN', conversionId, miles: 0, at: now });
    } else if (conversion.status === 'CREDITED') {
      conversion.status = 'REVERSED';
      conversion.reversedAt = now;
      state.balances.set(conversion.accountNumber, (state.balances.get(conversion.accountNumber) ?? 0) - conversion.miles);
      state.effects.push({ eventId, action: 'CREDIT_REVERSED', conversionId, miles: -conversion.miles, at: now });
    }
    return { status: 200, body: state.conversionView(conversion) };
  });
}

/**
 * The SkyMiles account of a pseudonym. The member never gives SkyMiles a phone or email,
 * so SkyMiles keys the account on the pseudonym alone: stable, and meaningless elsewhere.
 */
function accountNumberOf(memberPseudonym: string): string {
  const digest = createHash('sha256').update(`skymiles-account:${memberPseudonym}`).digest();
  return `SK${(digest.readBigUInt64BE(0) % 10_000_000_000n).toString().padStart(10, '0')}`;
}

function adminState(state: SkymilesSandboxState): unknown {
  return {
    conversions: [...state.conversions.values()].map((conversion) => state.conversionView(conversion)),
    accounts: [...state.balances].map(([accountNumber, miles]) => ({ accountNumber, miles })),
    provisioningCalls: Object.fromEntries(state.idempotency.calls),
    effects: state.effects,
    acknowledgements: state.acknowledgements,
  };
}

/** SkyMiles's sandbox, for the demo and the tests (never loaded in production). */
export const skymilesSandbox: PartnerSandbox = { id: SKYMILES_ID, start: (options) => startSkymilesSandbox(options) };

