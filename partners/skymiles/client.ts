import { z } from 'zod';
import { PartnerHttp, type PartnerCircuitState, type PartnerHttpClientOptions } from '../sdk/index.js';

/** The partner slug, as errors and tokens name it. */
export const SKYMILES_ID = 'skymiles';

const instantSchema = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** Where a conversion stands at SkyMiles. */
export const conversionStatusSchema = z.enum(['PENDING', 'CREDITED', 'REVERSED', 'REJECTED']);
export type ConversionStatus = z.output<typeof conversionStatusSchema>;

/** A miles conversion on SkyMiles' side: one per entitlement, keyed by the entitlement id. */
export const conversionSchema = z.object({
  conversionId: z.string(),
  memberPseudonym: z.string(),
  /** The SkyMiles account credited, derived by SkyMiles from the pseudonym. */
  accountNumber: z.string(),
  miles: z.number().int(),
  validUntil: instantSchema,
  status: conversionStatusSchema,
  /** SkyMiles' credit reference; null until credited. */
  reference: z.string().nullable(),
  requestedAt: instantSchema,
  creditedAt: instantSchema.nullable(),
  reversedAt: instantSchema.nullable(),
  rejectedAt: instantSchema.nullable(),
  rejectionReason: z.string().nullable(),
});
export type ConversionRecord = z.output<typeof conversionSchema>;

/** Body of `POST /v1/conversions`. */
export interface ConversionRequest {
  /** Our entitlement id: SkyMiles keeps one conversion per id. */
  conversionId: string;
  memberPseudonym: string;
  /** Miles to credit, a positive integer. */
  miles: number;
  /** End of the right the miles come from. */
  validUntil: Date;
}

/** Per-call options. */
export interface SkymilesCallOptions {
  /** Sent as `X-Request-Id`, so a call can be traced on SkyMiles' side. */
  requestId?: string | undefined;
}

/**
 * Typed client for SkyMiles' partner API (`/v1/conversions`). Every failure to get a good
 * answer in time (timeout, refused connection, non-2xx, malformed body) becomes
 * `AppError.downstream('skymiles', …)`.
 * Calls go through `PartnerHttp`, so a partner that keeps failing trips its circuit breaker
 * and calls then fail fast (see `circuitState`).
 */
export class SkymilesClient {
  private readonly http: PartnerHttp;

  constructor(options: PartnerHttpClientOptions) {
    if (!options.baseUrl) throw new TypeError('SkymilesClient: set baseUrl to the SkyMiles API URL');
    if (!options.apiKey) throw new TypeError('SkymilesClient: set apiKey to the key SkyMiles issued');
    this.http = new PartnerHttp({
      partnerId: SKYMILES_ID,
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
    });
  }

  /** Where SkyMiles' circuit breaker stands (for tests and metrics). */
  get circuitState(): PartnerCircuitState {
    return this.http.circuitState;
  }

  /**
   * Asks SkyMiles to convert a benefit into miles; SkyMiles answers at once with the
   * conversion (usually `PENDING`) and credits it later. Idempotent by `eventId`, and one
   * conversion per `conversionId` whatever the events.
   */
  requestConversion(request: ConversionRequest, eventId: string, options: SkymilesCallOptions = {}): Promise<ConversionRecord> {
    return this.http.request({
      method: 'POST',
      path: '/v1/conversions',
      route: '/v1/conversions',
      body: {
        conversionId: request.conversionId,
        memberPseudonym: request.memberPseudonym,
        miles: request.miles,
        validUntil: request.validUntil.toISOString(),
      },
      idempotencyKey: eventId,
      requestId: options.requestId,
      schema: conversionSchema,
    });
  }

  /** The conversion of an entitlement, or null when SkyMiles has none. */
  getConversion(conversionId: string, options: SkymilesCallOptions = {}): Promise<ConversionRecord | null> {
    return this.http.request<ConversionRecord | null>({
      method: 'GET',
      path: `/v1/conversions/${encodeURIComponent(conversionId)}`,
      route: '/v1/conversions/:conversionId',
      requestId: options.requestId,
      accept: { 404: () => null },
      schema: conversionSchema,
    });
  }

  /**
   * Reverses a conversion: takes credited miles back, or withdraws a pending request.
   * Idempotent by `eventId`; null when SkyMiles never had the conversion.
   */
  reverseConversion(conversionId: string, eventId: string, options: SkymilesCallOptions = {}): Promise<ConversionRecord | null> {
    return this.http.request<ConversionRecord | null>({
      method: 'POST',
      path: `/v1/conversions/${encodeURIComponent(conversionId)}/reversal`,
      route: '/v1/conversions/:conversionId/reversal',
      idempotencyKey: eventId,
      requestId: options.requestId,
      accept: { 404: () => null },
      schema: conversionSchema,
    });
  }
}
