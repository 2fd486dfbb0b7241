import { z } from 'zod';
import { PartnerHttp, PartnerRightsResource, type PartnerAnswer, type PartnerCallOptions, type PartnerCircuitState, type PartnerHttpClientOptions, type PartnerRightGrant } from '../sdk/index.js';

/** The partner slug, as errors and tokens name it. */
export const BREWBAR_ID = 'brewbar';

/** Prefix of BrewBar's own QR payloads; the digit is the payload format's version. */
export const BREWBAR_QR_PREFIX = 'BREWBAR1:';

/** What a member shows at a BrewBar till for a voucher code: `BREWBAR1:<code>`. */
export function brewbarQrPayload(code: string): string {
  return BREWBAR_QR_PREFIX + code;
}

/** The voucher code in what a till scanned: a BrewBar QR payload or the bare code typed in. */
export function codeFromScan(scanned: string): string {
  const trimmed = scanned.trim();
  return trimmed.startsWith(BREWBAR_QR_PREFIX) ? trimmed.slice(BREWBAR_QR_PREFIX.length) : trimmed;
}

const localizedTextSchema = z.object({ en: z.string(), 'zh-CN': z.string() });
const instantSchema = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** A BrewBar store, with its texts in every language BrewBar publishes. */
export const coffeeStoreSchema = z.object({
  id: z.string(),
  name: localizedTextSchema,
  address: localizedTextSchema,
  city: localizedTextSchema,
  openingHours: localizedTextSchema,
});
export type CoffeeStoreRecord = z.output<typeof coffeeStoreSchema>;

/** One voucher code a barista scanned for a member. */
export const coffeeScanSchema = z.object({ code: z.string(), scannedAt: instantSchema });
export type CoffeeScanRecord = z.output<typeof coffeeScanSchema>;

/** A member's monthly coffee allowance on BrewBar's side: one per entitlement. */
export const coffeeMemberSchema = z.object({
  entitlementId: z.string(),
  memberPseudonym: z.string(),
  benefitCode: z.string(),
  status: z.enum(['ACTIVE', 'REVOKED']),
  validFrom: instantSchema,
  validUntil: instantSchema,
  /** Coffees a month; null means unlimited. */
  quota: z.number().int().nullable(),
  /** Codes scanned for this member, oldest first. */
  scans: z.array(coffeeScanSchema),
});
export type CoffeeMemberRecord = z.output<typeof coffeeMemberSchema>;

/** A voucher code from BrewBar's pool, as its tills know it. */
export const voucherCodeSchema = z.object({
  code: z.string(),
  scanned: z.boolean(),
  scannedAt: instantSchema.nullable(),
  /** The member it was scanned for, when the till said so. */
  entitlementId: z.string().nullable(),
});
export type VoucherCodeRecord = z.output<typeof voucherCodeSchema>;

const storesResponseSchema = z.object({ stores: z.array(coffeeStoreSchema) });
const poolExportResponseSchema = z.object({ codes: z.array(z.string()) });
const scanResponseSchema = z
  .object({ code: z.string(), scannedAt: instantSchema, entitlementId: z.string().nullable() })
  .transform((scan): ScanResult => ({ outcome: 'SCANNED', ...scan }));
const problemSchema = z.object({ error: z.string(), details: z.record(z.string(), z.unknown()).optional() });

/**
 * What a scan at the till came to. Refusals are outcomes, not failures: a code scanned
 * twice is the partner doing its job.
 */
export type ScanResult =
  | { outcome: 'SCANNED'; code: string; scannedAt: Date; entitlementId: string | null }
  | { outcome: 'ALREADY_SCANNED'; code: string; scannedAt: Date }
  | { outcome: 'UNKNOWN_CODE'; code: string }
  | { outcome: 'MEMBER_NOT_FOUND'; code: string }
  | { outcome: 'MEMBER_NOT_ACTIVE'; code: string };

/** Body of `PUT /v1/members/:entitlementId`: a monthly allowance of coffees (quota null: unlimited). */
export type RegisterMemberRequest = PartnerRightGrant;

/** Per-call options. */
export type BrewbarCallOptions = PartnerCallOptions;

/**
 * Typed client for BrewBar's partner API (`/v1`). Every failure to get a good answer in
 * time (timeout, refused connection, non-2xx, malformed body) becomes
 * `AppError.downstream('brewbar', …)`.
 * Calls go through `PartnerHttp`, so a partner that keeps failing trips its circuit breaker
 * and calls then fail fast (see `circuitState`).
 */
export class BrewbarClient {
  private readonly http: PartnerHttp;
  /** BrewBar's members: one monthly allowance per entitlement (what provisioning drives). */
  readonly members: PartnerRightsResource<CoffeeMemberRecord>;

  constructor(options: PartnerHttpClientOptions) {
    if (!options.baseUrl) throw new TypeError('BrewbarClient: set baseUrl to the BrewBar API URL');
    if (!options.apiKey) throw new TypeError('BrewbarClient: set apiKey to the key BrewBar issued');
    this.http = new PartnerHttp({
      partnerId: BREWBAR_ID,
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
    });
    this.members = new PartnerRightsResource(this.http, '/v1/members', coffeeMemberSchema);
  }

  /** Where BrewBar's circuit breaker stands (for tests and metrics). */
  get circuitState(): PartnerCircuitState {
    return this.http.circuitState;
  }

  /** BrewBar stores, optionally in one city (its English or Chinese name), at most `limit`. */
  async listStores(query: { city?: string | null | undefined; limit?: number | undefined } = {}, options: BrewbarCallOptions = {}): Promise<CoffeeStoreRecord[]> {
    const { stores } = await this.http.request({
      method: 'GET',
      path: '/v1/stores',
      route: '/v1/stores',
      query: { city: query.city ?? undefined, limit: query.limit },
      requestId: options.requestId,
      schema: storesResponseSchema,
    });
    return stores;
  }

  /** The allowance of an entitlement with the codes scanned for it, or null when BrewBar has none. */
  getMember(entitlementId: string, options: BrewbarCallOptions = {}): Promise<CoffeeMemberRecord | null> {
    return this.members.get(entitlementId, options);
  }

  /** Registers (or updates) the monthly allowance of an entitlement; idempotent by `eventId`. */
  putMember(entitlementId: string, request: RegisterMemberRequest, options: BrewbarCallOptions = {}): Promise<CoffeeMemberRecord> {
    return this.members.put(entitlementId, request, options);
  }

  /** Revokes the allowance of an entitlement; idempotent by `eventId`, and a no-op for an unknown one. */
  deleteMember(entitlementId: string, eventId: string, options: BrewbarCallOptions = {}): Promise<void> {
    return this.members.delete(entitlementId, eventId, options);
  }


  /** A code of BrewBar's pool and whether it was scanned, or null when BrewBar never issued it. */
  getCode(code: string, options: BrewbarCallOptions = {}): Promise<VoucherCodeRecord | null> {
    return this.http.request<VoucherCodeRecord | null>({
      method: 'GET',
      path: `/v1/codes/${encodeURIComponent(code)}`,
      route: '/v1/codes/:code',
      requestId: options.requestId,
      accept: { 404: () => null },
      schema: voucherCodeSchema,
    });
  }

  /**
   * Scans a voucher code at the till (the demo and tests stand in for BrewBar's tills):
   * `scanned` is the QR payload or the bare code; `entitlementId` credits the scan to a member.
   */
  scan(scanned: string, request: { entitlementId?: string } = {}, options: BrewbarCallOptions = {}): Promise<ScanResult> {
    const code = codeFromScan(scanned);
    return this.http.request<ScanResult>({
      method: 'POST',
      path: '/v1/scans',
      route: '/v1/scans',
      body: { code: scanned, ...(request.entitlementId ? { entitlementId: request.entitlementId } : {}) },
      requestId: options.requestId,
      accept: {
        // BrewBar's refusals come with a problem body (`{ error, details }`); one without it is a failure.
        404: (answer) => {
          const problem = parseProblem(answer);
          return problem?.error === 'unknown_code' ? { outcome: 'UNKNOWN_CODE', code }
            : problem?.error === 'member_not_found' ? { outcome: 'MEMBER_NOT_FOUND', code }
            : undefined;
        },
        409: (answer) => {
          const problem = parseProblem(answer);
          if (problem?.error === 'member_not_active') return { outcome: 'MEMBER_NOT_ACTIVE', code };
          const scannedAt = problem?.error === 'already_scanned' ? instantSchema.safeParse(problem.details?.['scannedAt']) : undefined;
          return scannedAt?.success ? { outcome: 'ALREADY_SCANNED', code, scannedAt: scannedAt.data } : undefined;
        },
      },
      schema: scanResponseSchema,
    });
  }

  /**
   * Issues `count` fresh codes from BrewBar's pool, for BrewBar to upload to the coalition
   * (`uploadVoucherCodes`); its tills accept each of them once.
   */
  async exportPool(count: number, options: BrewbarCallOptions = {}): Promise<string[]> {
    const { codes } = await this.http.request({
      method: 'GET',
      path: '/v1/pool/export',
      route: '/v1/pool/export',
      query: { count },
      requestId: options.requestId,
      schema: poolExportResponseSchema,
    });
    return codes;
  }
}

/** The problem BrewBar sent with a refusal (`{ error, details }`), or null. */
function parseProblem({ text }: PartnerAnswer): z.output<typeof problemSchema> | null {
  try {
    const parsed = problemSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
