import http from 'node:http';
import https from 'node:https';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { z } from 'zod';
import { CodedError } from './errors.js';
import type { PartnerClientOptions, PartnerProvisioning } from './adapter.js';

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_CONSECUTIVE_FAILURES = 5;
const DEFAULT_HALF_OPEN_AFTER_MS = 10_000;

/** When a partner's circuit opens, and for how long it then fails calls fast. */
export interface PartnerBreakerOptions {
  /** Consecutive unhealthy outcomes (timeout, connection error, HTTP 5xx) that open the circuit. @default 5 */
  consecutiveFailures?: number;
  /** How long an open circuit fails calls fast before letting one trial call through. @default 10000 */
  halfOpenAfterMs?: number;
}

/** `PartnerClientOptions` plus the circuit breaker's tuning, which every partner client takes. */
export interface PartnerHttpClientOptions extends PartnerClientOptions {
  breaker?: PartnerBreakerOptions;
}

export interface PartnerHttpOptions {
  /** The partner slug errors name (`CodedError.downstream(partnerId, …)`). */
  partnerId: string;
  /** Base URL of the partner's API; a trailing slash is dropped. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` on every call that does not opt out. */
  apiKey?: string;
  /** Per-call timeout in milliseconds, covering the response body too. @default 2000 */
  timeoutMs?: number;
  breaker?: PartnerBreakerOptions;
  /**
   * A short reason the partner gave in a refusal body, appended to `answered HTTP <status>`
   * as ` (<reason>)`; undefined adds nothing.
   */
  refusalReason?: (text: string) => string | undefined;
}

/** A status the partner answered with, and its body. */
export interface PartnerAnswer {
  status: number;
  text: string;
}

export type PartnerHttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** One call to a partner. */
export interface PartnerRequestSpec<T> {
  method: PartnerHttpMethod;
  /** A path under the base URL (`/v1/…`), or an absolute URL (e.g. the partner's webhook endpoint). */
  path: string | URL;
  /**
   * The path as errors name it (`<METHOD> <route>`): the route, without ids, since members
   * read these messages.
   */
  route: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON (`content-type: application/json`). */
  body?: unknown;
  /** Sent byte for byte (e.g. a signed webhook body), as `application/json` unless `headers` say otherwise. */
  rawBody?: string;
  /** Extra headers; they win over the ones set here. */
  headers?: Record<string, string>;
  /** Send the API key as `Authorization: Bearer …`. @default true */
  authenticate?: boolean;
  /** Sent as `Idempotency-Key`. */
  idempotencyKey?: string | undefined;
  /** Sent as `X-Request-Id`, so a call can be traced on the partner's side. */
  requestId?: string | undefined;
  /**
   * Statuses that are answers rather than failures, mapped to a result; a handler that
   * returns undefined leaves the status a failure.
   */
  accept?: Partial<Record<number, (answer: PartnerAnswer) => T | undefined>>;
  /** The 2xx body's schema; without one a 2xx resolves to null. */
  schema?: z.ZodType<T>;
}

/** Where a partner's circuit stands. */
export type PartnerCircuitState = 'closed' | 'open' | 'half-open';

/** What a call to a partner came to, when the partner answered at all. */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: CodedError };

/**
 * The one way partner clients call their partner over HTTP: auth header, idempotency key,
 * request id, a timeout that covers the body, statuses mapped to answers, zod parsing, and
 * every failure to get a good answer in time as `CodedError.downstream(partnerId, detail)`.
 *
 * Every call goes through the partner's circuit breaker: after `consecutiveFailures`
 * consecutive unhealthy outcomes (timeouts, connection errors, HTTP 5xx; never a 4xx,
 * which is an answer) calls fail fast for `halfOpenAfterMs`, then one trial call decides
 * whether it closes again. One instance (and breaker) per partner client.
 */
export class PartnerHttp {
  readonly partnerId: string;
  /** The partner's base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly apiKey: string | undefined;
  private readonly refusalReason: ((text: string) => string | undefined) | undefined;
  private readonly consecutiveFailures: number;
  private readonly halfOpenAfterMs: number;
  private readonly breaker: CircuitBreakerPolicy;
  private openedAt = 0;
  /**
   * Keep-alive connections to the partner, reused call after call: a delivery run of thousands of
   * calls opens a handful of sockets. (`node:http` rather than `fetch`: on loopback the same call
   * took less than half the CPU, client and server together; idle sockets never hold the process
   * open.)
   */
  private readonly agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

  constructor(options: PartnerHttpOptions) {
    if (!options.partnerId) throw new TypeError('PartnerHttp: set partnerId');
    if (!options.baseUrl) throw new TypeError(`PartnerHttp(${options.partnerId}): set baseUrl`);
    this.partnerId = options.partnerId;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.refusalReason = options.refusalReason;
    this.consecutiveFailures = options.breaker?.consecutiveFailures ?? DEFAULT_CONSECUTIVE_FAILURES;
    this.halfOpenAfterMs = options.breaker?.halfOpenAfterMs ?? DEFAULT_HALF_OPEN_AFTER_MS;
    if (!Number.isSafeInteger(this.consecutiveFailures) || this.consecutiveFailures < 1) {
      throw new RangeError(`PartnerHttp(${this.partnerId}): breaker.consecutiveFailures must be a positive integer`);
    }
    if (!(this.halfOpenAfterMs >= 0)) throw new RangeError(`PartnerHttp(${this.partnerId}): breaker.halfOpenAfterMs must be >= 0`);
    // Only what the fn below throws counts against the partner: it throws for unhealthy outcomes alone.
    this.breaker = circuitBreaker(handleWhen((error) => error instanceof CodedError), {
      breaker: new ConsecutiveBreaker(this.consecutiveFailures),
      halfOpenAfter: this.halfOpenAfterMs,
    });
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
    });
  }

  /** Where the partner's circuit stands (for tests and metrics). */
  get circuitState(): PartnerCircuitState {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'open';
    }
  }

  /** Makes one call; resolves to its result, or rejects with `CodedError.downstream(partnerId, …)`. */
  async request<T>(spec: PartnerRequestSpec<T>): Promise<T> {
    let outcome: Outcome<T>;
    try {
      outcome = await this.breaker.execute(() => this.exchange(spec));
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.circuitOpen();
      throw error;
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Sends the call and reads the answer. Throws (counting against the partner's health)
   * when it does not answer in time or answers 5xx; any other answer resolves, good or not.
   */
  private async exchange<T>(spec: PartnerRequestSpec<T>): Promise<Outcome<T>> {
    const url = typeof spec.path === 'string' ? new URL(this.baseUrl + spec.path) : new URL(spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey && spec.authenticate !== false) headers['authorization'] = `Bearer ${this.apiKey}`;
    if (spec.body !== undefined || spec.rawBody !== undefined) headers['content-type'] = 'application/json';
    if (spec.idempotencyKey) headers['idempotency-key'] = spec.idempotencyKey;
    if (spec.requestId) headers['x-request-id'] = spec.requestId;
    Object.assign(headers, spec.headers);
    const body = spec.rawBody ?? (spec.body !== undefined ? JSON.stringify(spec.body) : undefined);
    const call = `${spec.method} ${spec.route}`;

    let answer: PartnerAnswer;
    try {
      // GET, PUT and DELETE are idempotent, and so is any call carrying an event id.
      const idempotent = spec.method !== 'POST' || headers['idempotency-key'] !== undefined || headers['webhook-id'] !== undefined;
      answer = await this.send(url, spec.method, headers, body, idempotent);
    } catch (error) {
      throw CodedError.downstream(this.partnerId, describeFailure(call, error, this.timeoutMs));
    }

    const { status, text } = answer;
    const accept = spec.accept?.[status];
    if (accept) {
      const accepted = accept(answer);
      if (accepted !== undefined) return { ok: true, value: accepted };
    }
    if (status < 200 || status > 299) {
      const reason = this.refusalReason?.(text);
      const error = CodedError.downstream(this.partnerId, `${call} answered HTTP ${status}${reason ? ` (${reason})` : ''}`);
      if (status >= 500) throw error;
      return { ok: false, error };
    }
    if (!spec.schema) return { ok: true, value: null as T };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, error: CodedError.downstream(this.partnerId, `${call} answered with a body that is not JSON`) };
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      return { ok: false, error: CodedError.downstream(this.partnerId, `${call} answered with an unexpected body`) };
    }
    return { ok: true, value: parsed.data };
  }

  /**
   * One HTTP exchange on a keep-alive connection, the answer's body read in full. Rejects with
   * {@link PartnerTimeout} when the partner has not answered in full within the timeout (a
   * partner that stalls mid-body is as down as one that never answers).
   */
  private send(url: URL, method: PartnerHttpMethod, headers: Record<string, string>, body: string | undefined, retryable: boolean): Promise<PartnerAnswer> {
    const agent = url.protocol === 'https:' ? this.agents['https:'] : url.protocol === 'http:' ? this.agents['http:'] : undefined;
    if (!agent) return Promise.reject(new TypeError(`PartnerHttp(${this.partnerId}): ${url.protocol} is not HTTP`));
    const transport = url.protocol === 'https:' ? https : http;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<PartnerAnswer>((resolve, reject) => {
      let timedOut = false;
      let current: http.ClientRequest;
      const timer = setTimeout(() => {
        timedOut = true;
        current.destroy(new PartnerTimeout());
      }, this.timeoutMs);
      const attempt = (again: boolean) => {
        let answered = false;
        const fail = (error: unknown) => {
          // A kept-alive connection the partner closed as we reused it: the call never reached it
          // whole, so an idempotent one is sent once more, on a fresh connection, in the same time.
          const code = (error as { code?: unknown } | null)?.code;
          if (!timedOut && !answered && again && request.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) {
            attempt(false);
            return;
          }
          clearTimeout(timer);
          reject(timedOut ? new PartnerTimeout() : error);
        };
        const request = transport.request(url, { method, headers, agent }, (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('end', () => {
            clearTimeout(timer);
            if (timedOut) reject(new PartnerTimeout());
            else resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
        });
        current = request;
        request.on('error', fail);
        request.end(body);
      };
      attempt(retryable);
    });
  }

  private circuitOpen(): CodedError {
    const remainingMs = Math.max(0, this.openedAt + this.halfOpenAfterMs - Date.now());
    const seconds = Math.ceil(remainingMs / 100) / 10;
    return CodedError.downstream(
      this.partnerId,
      `circuit open after ${this.consecutiveFailures} consecutive failures; retrying in ${seconds}s`,
    );
  }
}

/** A partner that did not answer in full within the call's timeout. */
class PartnerTimeout extends Error {
  constructor() {
    super('partner call timed out');
  }
}

function describeFailure(call: string, error: unknown, timeoutMs: number): string {
  if (error instanceof PartnerTimeout) return `${call} timed out after ${timeoutMs} ms`;
  const failure = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof failure?.code === 'string' ? failure.code : typeof failure?.cause?.code === 'string' ? failure.cause.code : undefined;
  return `${call} failed${code ? ` (${code})` : ''}`;
}

/** What a partner is told when a member's right is granted: the body of a rights resource's PUT. */
export interface PartnerRightGrant {
  memberPseudonym: string;
  benefitCode: string;
  validFrom: Date;
  validUntil: Date;
  /** Uses per period; null means unlimited. */
  quota: number | null;
  /** The provisioning event; a retried event has exactly one effect. */
  eventId: string;
}

/** Per-call options of partner clients. */
export interface PartnerCallOptions {
  /** Sent as `X-Request-Id`, so a call can be traced on the partner's side. */
  requestId?: string | undefined;
}

/**
 * A partner resource holding one member's right per entitlement at `<base>/<entitlementId>`
 * (SparkWash's passes, BrewBar's members): GET (null when the partner has none), PUT of a
 * {@link PartnerRightGrant} and DELETE, both idempotent by the event id.
 */
export class PartnerRightsResource<T> {
  constructor(
    private readonly http: PartnerHttp,
    /** e.g. `/v1/passes` */
    private readonly base: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  get(entitlementId: string, options: PartnerCallOptions = {}): Promise<T | null> {
    return this.http.request<T | null>({
      method: 'GET',
      path: this.path(entitlementId),
      route: `${this.base}/:entitlementId`,
      requestId: options.requestId,
      accept: { 404: () => null },
      schema: this.schema,
    });
  }

  put(entitlementId: string, grant: PartnerRightGrant, options: PartnerCallOptions = {}): Promise<T> {
    return this.http.request({
      method: 'PUT',
      path: this.path(entitlementId),
      route: `${this.base}/:entitlementId`,
      body: {
        memberPseudonym: grant.memberPseudonym,
        benefitCode: grant.benefitCode,
        validFrom: grant.validFrom.toISOString(),
        validUntil: grant.validUntil.toISOString(),
        quota: grant.quota,
        eventId: grant.eventId,
      },
      idempotencyKey: grant.eventId,
      requestId: options.requestId,
      schema: this.schema,
    });
  }

  /** A no-op for an unknown entitlement. */
  async delete(entitlementId: string, eventId: string, options: PartnerCallOptions = {}): Promise<void> {
    await this.http.request<null>({
      method: 'DELETE',
      path: this.path(entitlementId),
      route: `${this.base}/:entitlementId`,
      idempotencyKey: eventId,
      requestId: options.requestId,
    });
  }

  private path(entitlementId: string): string {
    return `${this.base}/${encodeURIComponent(entitlementId)}`;
  }
}

/** What a rights resource holds for an entitlement, as provisioning reads it. */
export interface PartnerRightRecord {
  status: 'ACTIVE' | 'PENDING' | 'REVOKED';
  validUntil: Date;
}

/**
 * Provisioning over a {@link PartnerRightsResource}: a right is the resource keyed by its
 * entitlement id, so repeating a call updates one record rather than adding one. Provision
 * is a PUT, revoke a DELETE, status a GET. A record still REVOKED after the PUT (or, with
 * `activeAtOnce`, anything but ACTIVE) is the partner failing: DOWNSTREAM_SERVICE_ERROR
 * naming `what`, e.g. "pass".
 */
export function rightsResourceProvisioning(
  partnerId: string,
  rights: PartnerRightsResource<PartnerRightRecord>,
  options: { what: string; activeAtOnce: boolean },
): PartnerProvisioning {
  return {
    async provision(right, eventId) {
      const record = await rights.put(right.entitlementId, { ...right, eventId });
      if (record.status === 'REVOKED' || (options.activeAtOnce && record.status !== 'ACTIVE')) {
        throw CodedError.downstream(partnerId, `${options.what} ${right.entitlementId} is still ${record.status.toLowerCase()} after provisioning`);
      }
      return { status: record.status };
    },

    async revoke(entitlementId, eventId) {
      await rights.delete(entitlementId, eventId);
    },

    async status(entitlementId) {
      const record = await rights.get(entitlementId);
      return record ? { status: record.status, validUntil: record.validUntil } : { status: 'UNKNOWN' };
    },
  };
}
