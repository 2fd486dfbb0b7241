import { z } from 'zod';
import { PartnerHttp, PartnerRightsResource, type PartnerCallOptions, type PartnerCircuitState, type PartnerHttpClientOptions, type PartnerRightGrant } from '../sdk/index.js';

/** The partner slug, as errors and tokens name it. */
export const SPARKWASH_ID = 'sparkwash';

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
export type ProvisionPassRequest = PartnerRightGrant;

/** Body of `POST /v1/passes/:entitlementId/bookings`. */
export interface CreateBookingRequest {
  siteId: string;
  scheduledAt: Date;
}

/** Per-call options. */
export type SparkwashCallOptions = PartnerCallOptions;

/**
 * Typed client for SparkWash's partner API (`/v1`). Every failure to get a good answer in
 * time (timeout, refused connection, non-2xx, malformed body) becomes
 * `AppError.downstream('sparkwash', …)`.
 * Calls go through `PartnerHttp`, so a partner that keeps failing trips its circuit breaker
 * and calls then fail fast (see `circuitState`).
 */
export class SparkwashClient {
  private readonly http: PartnerHttp;
  /** SparkWash's passes: one per entitlement (what provisioning drives). */
  readonly passes: PartnerRightsResource<WashPassRecord>;

  constructor(options: PartnerHttpClientOptions) {
    if (!options.baseUrl) throw new TypeError('SparkwashClient: set baseUrl to the SparkWash API URL');
    if (!options.apiKey) throw new TypeError('SparkwashClient: set apiKey to the key SparkWash issued');
    this.http = new PartnerHttp({
      partnerId: SPARKWASH_ID,
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
    });
    this.passes = new PartnerRightsResource(this.http, '/v1/passes', washPassSchema);
  }

  /** Where SparkWash's circuit breaker stands (for tests and metrics). */
  get circuitState(): PartnerCircuitState {
    return this.http.circuitState;
  }

  /** Wash sites, optionally in one city (its English or Chinese name), at most `limit`. */
  async listSites(query: { city?: string | null | undefined; limit?: number | undefined } = {}, options: SparkwashCallOptions = {}): Promise<WashSiteRecord[]> {
    const { sites } = await this.http.request({
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
    return this.passes.get(entitlementId, options);
  }

  /** Creates or updates the pass of an entitlement; idempotent by `eventId`. */
  putPass(entitlementId: string, request: ProvisionPassRequest, options: SparkwashCallOptions = {}): Promise<WashPassRecord> {
    return this.passes.put(entitlementId, request, options);
  }

  /** Revokes the pass of an entitlement; idempotent by `eventId`, and a no-op for an unknown pass. */
  deletePass(entitlementId: string, eventId: string, options: SparkwashCallOptions = {}): Promise<void> {
    return this.passes.delete(entitlementId, eventId, options);
  }


  /** Books a wash on a pass (the demo and tests stand in for SparkWash's own app). */
  createBooking(entitlementId: string, request: CreateBookingRequest, options: SparkwashCallOptions = {}): Promise<WashBookingRecord> {
    return this.http.request({
      method: 'POST',
      path: `/v1/passes/${encodeURIComponent(entitlementId)}/bookings`,
      route: '/v1/passes/:entitlementId/bookings',
      body: { siteId: request.siteId, scheduledAt: request.scheduledAt.toISOString() },
      requestId: options.requestId,
      schema: washBookingSchema,
    });
  }
}
