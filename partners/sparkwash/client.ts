import { z } from 'zod';
import { AppError } from '../../src/shared/errors.js';
import type { PartnerClientOptions } from '../adapter.js';

/** The partner slug, as errors and tokens name it. */
export const SPARKWASH_ID = 'sparkwash';

const DEFAULT_TIMEOUT_MS = 2000;

const localizedTextSchema = z.object({ en: z.string(), 'zh-CN': z.string() });
const instantSchema = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** A SparkWash wash site, with its texts in every language SparkWash publishes. */
export const washSiteSchema = z.object({
  id: z.string(),
  name: localizedTextSchema,
  address: localizedTextSchema,
  city: localizedTextSchema,
  openingHours: localizedTextSchema,
});
export type WashSiteRecord = z.output<typeof washSiteSchema>;

/** A wash booked on a pass. */
export const washBookingSchema = z.object({
  id: z.string(),
  site: washSiteSchema,
  scheduledAt: instantSchema,
  status: z.enum(['CONFIRMED', 'COMPLETED', 'CANCELLED']),
});
export type WashBookingRecord = z.output<typeof washBookingSchema>;

/** A car-wash pass on SparkWash's side: one per entitlement. */
export const washPassSchema = z.object({
  entitlementId: z.string(),
  /** SparkWash's own pass number, shown at the wash. */
  memberNumber: z.string(),
  memberPseudonym: z.string(),
  benefitCode: z.string(),
  status: z.enum(['ACTIVE', 'PENDING', 'REVOKED']),
  validFrom: instantSchema,
  validUntil: instantSchema,
  quota: z.number().int().nullable(),
  bookings: z.array(washBookingSchema),
});
export type WashPassRecord = z.output<typeof washPassSchema>;

const sitesResponseSchema = z.object({ sites: z.array(washSiteSchema) });

/** Body of `PUT /v1/passes/:entitlementId`. */
export interface ProvisionPassRequest {
  memberPseudonym: string;
  benefitCode: string;
  validFrom: Date;
  validUntil: Date;
  quota: number | null;
  /** The provisioning event; a retried event has exactly one effect. */
  eventId: string;
}

/** Body of `POST /v1/passes/:entitlementId/bookings`. */
export interface CreateBookingRequest {
  siteId: string;
  scheduledAt: Date;
}

/** Per-call options. */
export interface SparkwashCallOptions {
  /** Sent as `X-Request-Id`, so a call can be traced on SparkWash's side. */
  requestId?: string | undefined;
}

interface RequestSpec<T> {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  /** The path as errors name it: the route, without ids, since members read these messages. */
  route: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  idempotencyKey?: string;
  requestId?: string | undefined;
  /** Statuses that are answers rather than failures, mapped to a result. */
  accept?: Partial<Record<number, () => T>>;
  schema?: z.ZodType<T>;
}

/**
 * Typed client for SparkWash's partner API (`/v1`). Every failure to get a good answer in
 * time (timeout, refused connection, non-2xx, malformed body) becomes
 * `AppError.downstream('sparkwash', …)`.
 */
export class SparkwashClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;

  constructor(options: PartnerClientOptions) {
    if (!options.baseUrl) throw new TypeError('SparkwashClient: set baseUrl to the SparkWash API URL');
    if (!options.apiKey) throw new TypeError('SparkwashClient: set apiKey to the key SparkWash issued');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Wash sites, optionally in one city (its English or Chinese name), at most `limit`. */
  async listSites(query: { city?: string | null | undefined; limit?: number | undefined } = {}, options: SparkwashCallOptions = {}): Promise<WashSiteRecord[]> {
    const { sites } = await this.request({
      method: 'GET',
      path: '/v1/sites',
      route: '/v1/sites',
      query: { city: query.city ?? undefined, limit: query.limit },
      requestId: options.requestId,
      schema: sitesResponseSchema,
    });
    return sites;
  }

  /** The pass of an entitlement with its bookings, or null when SparkWash has none. */
  getPass(entitlementId: string, options: SparkwashCallOptions = {}): Promise<WashPassRecord | null> {
    return this.request<WashPassRecord | null>({
      method: 'GET',
      path: `/v1/passes/${encodeURIComponent(entitlementId)}`,
      route: '/v1/passes/:entitlementId',
      requestId: options.requestId,
      accept: { 404: () => null },
      schema: washPassSchema,
    });
  }

  /** Creates or updates the pass of an entitlement; idempotent by `eventId`. */
  putPass(entitlementId: string, request: ProvisionPassRequest, options: SparkwashCallOptions = {}): Promise<WashPassRecord> {
    return this.request({
      method: 'PUT',
      path: `/v1/passes/${encodeURIComponent(entitlementId)}`,
      route: '/v1/passes/:entitlementId',
      body: {
        memberPseudonym: request.memberPseudonym,
        benefitCode: request.benefitCode,
        validFrom: request.validFrom.toISOString(),
        validUntil: request.validUntil.toISOString(),
        quota: request.quota,
        eventId: request.eventId,
      },
      idempotencyKey: request.eventId,
      requestId: options.requestId,
      schema: washPassSchema,
    });
  }

  /** Revokes the pass of an entitlement; idempotent by `eventId`, and a no-op for an unknown pass. */
  async deletePass(entitlementId: string, eventId: string, options: SparkwashCallOptions = {}): Promise<void> {
    await this.request<null>({
      method: 'DELETE',
      path: `/v1/passes/${encodeURIComponent(entitlementId)}`,
      route: '/v1/passes/:entitlementId',
      idempotencyKey: eventId,
      requestId: options.requestId,
    });
  }

  /** Books a wash on a pass (the demo and tests stand in for SparkWash's own app). */
  createBooking(entitlementId: string, request: CreateBookingRequest, options: SparkwashCallOptions = {}): Promise<WashBookingRecord> {
    return this.request({
      method: 'POST',
      path: `/v1/passes/${encodeURIComponent(entitlementId)}/bookings`,
      route: '/v1/passes/:entitlementId/bookings',
      body: { siteId: request.siteId, scheduledAt: request.scheduledAt.toISOString() },
      requestId: options.requestId,
      schema: washBookingSchema,
    });
  }

  private async request<T>(spec: RequestSpec<T>): Promise<T> {
    const url = new URL(this.baseUrl + spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: 'application/json',
    };
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.idempotencyKey) headers['idempotency-key'] = spec.idempotencyKey;
    if (spec.requestId) headers['x-request-id'] = spec.requestId;
    const call = `${spec.method} ${spec.route}`;

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: spec.method,
        headers,
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The body is read under the same timeout: a partner that stalls mid-body is as down as one that never answers.
      text = await response.text();
    } catch (error) {
      throw AppError.downstream(SPARKWASH_ID, describeFetchFailure(call, error, this.timeoutMs));
    }

    const accepted = spec.accept?.[response.status];
    if (accepted) return accepted();
    if (!response.ok) {
      throw AppError.downstream(SPARKWASH_ID, `${call} answered HTTP ${response.status}`);
    }
    if (!spec.schema) return null as T;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw AppError.downstream(SPARKWASH_ID, `${call} answered with a body that is not JSON`);
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      throw AppError.downstream(SPARKWASH_ID, `${call} answered with an unexpected body`);
    }
    return parsed.data;
  }
}

function describeFetchFailure(call: string, error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `${call} timed out after ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return `${call} failed${code ? ` (${code})` : ''}`;
}
