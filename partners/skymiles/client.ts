import { z } from 'zod';
import { AppError } from '../../src/shared/errors.js';
import type { PartnerClientOptions } from '../adapter.js';

/** The partner slug, as errors and tokens name it. */
export const SKYMILES_ID = 'skymiles';

const DEFAULT_TIMEOUT_MS = 2000;

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

interface RequestSpec<T> {
  method: 'GET' | 'POST';
  path: string;
  /** The path as errors name it: the route, without ids, since members read these messages. */
  route: string;
  body?: unknown;
  idempotencyKey?: string;
  requestId?: string | undefined;
  /** Statuses that are answers rather than failures, mapped to a result. */
  accept?: Partial<Record<number, () => T>>;
  schema: z.ZodType<T>;
}

/**
 * Typed client for SkyMiles' partner API (`/v1/conversions`). Every failure to get a good
 * answer in time (timeout, refused connection, non-2xx, malformed body) becomes
 * `AppError.downstream('skymiles', …)`.
 */
export class SkymilesClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;

  constructor(options: PartnerClientOptions) {
    if (!options.baseUrl) throw new TypeError('SkymilesClient: set baseUrl to the SkyMiles API URL');
    if (!options.apiKey) throw new TypeError('SkymilesClient: set apiKey to the key SkyMiles issued');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Asks SkyMiles to convert a benefit into miles; SkyMiles answers at once with the
   * conversion (usually `PENDING`) and credits it later. Idempotent by `eventId`, and one
   * conversion per `conversionId` whatever the events.
   */
  requestConversion(request: ConversionRequest, eventId: string, options: SkymilesCallOptions = {}): Promise<ConversionRecord> {
    return this.request({
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
    return this.request<ConversionRecord | null>({
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
    return this.request<ConversionRecord | null>({
      method: 'POST',
      path: `/v1/conversions/${encodeURIComponent(conversionId)}/reversal`,
      route: '/v1/conversions/:conversionId/reversal',
      idempotencyKey: eventId,
      requestId: options.requestId,
      accept: { 404: () => null },
      schema: conversionSchema,
    });
  }

  private async request<T>(spec: RequestSpec<T>): Promise<T> {
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
      response = await fetch(this.baseUrl + spec.path, {
        method: spec.method,
        headers,
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The body is read under the same timeout: a partner that stalls mid-body is as down as one that never answers.
      text = await response.text();
    } catch (error) {
      throw AppError.downstream(SKYMILES_ID, describeFetchFailure(call, error, this.timeoutMs));
    }

    const accepted = spec.accept?.[response.status];
    if (accepted) return accepted();
    if (!response.ok) {
      throw AppError.downstream(SKYMILES_ID, `${call} answered HTTP ${response.status}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw AppError.downstream(SKYMILES_ID, `${call} answered with a body that is not JSON`);
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      throw AppError.downstream(SKYMILES_ID, `${call} answered with an unexpected body`);
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
