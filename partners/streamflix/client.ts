import { z } from 'zod';
import { assertWebhookSecrets, PartnerHttp, signWebhook, type PartnerCircuitState, type PartnerHttpClientOptions } from '../sdk/index.js';

/** The partner slug, as errors and tokens name it. */
export const STREAMFLIX_ID = 'streamflix';

/** Where Streamflix receives the coalition's provisioning webhooks, under its base URL. */
export const STREAMFLIX_WEBHOOK_PATH = '/webhooks/coalition';

const instantSchema = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** Where a right stands on Streamflix's side. */
export const streamflixRightStatusSchema = z.enum(['PENDING_LINK', 'ACTIVE', 'REVOKED']);
export type StreamflixRightStatus = z.output<typeof streamflixRightStatusSchema>;

/** A streaming VIP on Streamflix's side: one per entitlement. */
export const streamflixRightSchema = z.object({
  entitlementId: z.string(),
  memberPseudonym: z.string(),
  benefitCode: z.string(),
  status: streamflixRightStatusSchema,
  validFrom: instantSchema,
  validUntil: instantSchema,
  /** When the VIP stops (ACTIVE) or stopped (REVOKED) playing; null until linked. */
  activeUntil: instantSchema.nullable(),
  /** Streamflix's account-linking page with the one-time code; set only while PENDING_LINK. */
  activationUrl: z.url({ protocol: /^https?$/ }).nullable(),
});
export type StreamflixRightRecord = z.output<typeof streamflixRightSchema>;

/** Streamflix's answer to a delivered event: the right's status after it, null for an unknown right. */
export const webhookReceiptSchema = z.object({
  eventId: z.string(),
  status: streamflixRightStatusSchema.nullable(),
});
export type StreamflixWebhookReceipt = z.output<typeof webhookReceiptSchema>;

/** `right.activate`: grant (or update) the VIP of an entitlement. */
export interface RightActivateEvent {
  type: 'right.activate';
  entitlementId: string;
  memberPseudonym: string;
  benefitCode: string;
  /** ISO-8601 instant. */
  validFrom: string;
  /** ISO-8601 instant. */
  validUntil: string;
}

/** `right.revoke`: end the VIP of an entitlement. */
export interface RightRevokeEvent {
  type: 'right.revoke';
  entitlementId: string;
}

/** The events the coalition sends Streamflix, as JSON webhook bodies. */
export type StreamflixEvent = RightActivateEvent | RightRevokeEvent;

/** What `right.activate` carries: the member only by pseudonym, never phone, email or name. */
export interface ActivateRightRequest {
  entitlementId: string;
  memberPseudonym: string;
  benefitCode: string;
  validFrom: Date;
  validUntil: Date;
}

/**
 * How to reach Streamflix: its REST API (read with the API key it issued) and its webhook
 * endpoint (written to with Standard Webhooks signatures made with our own secrets).
 */
export interface StreamflixClientOptions extends PartnerHttpClientOptions {
  /**
   * Our Standard Webhooks signing secrets (`whsec_<base64>`), shared with Streamflix.
   * Every event is signed with each of them, so during a rotation list the old and the new
   * secret. Provisioning needs them; without them the client still reads (the subgraph).
   */
  webhookSecrets?: string[];
  /** Streamflix's webhook endpoint. @default `${baseUrl}/webhooks/coalition` */
  webhookUrl?: string;
}

/** Per-call options. */
export interface StreamflixCallOptions {
  /** Sent as `X-Request-Id`, so a call can be traced on Streamflix's side. */
  requestId?: string | undefined;
}

/** A Streamflix client; the adapter's `createClient` builds one from `PartnerClientOptions`. */
export function createStreamflixClient(options: StreamflixClientOptions): StreamflixClient {
  return new StreamflixClient(options);
}

/**
 * Typed client for Streamflix: its REST API (`/v1`) and its provisioning webhook. Every
 * failure to get a good answer in time (timeout, refused connection, non-2xx, malformed
 * body) becomes `AppError.downstream('streamflix', …)`.
 * Calls go through `PartnerHttp`, so a partner that keeps failing trips its circuit breaker
 * and calls then fail fast (see `circuitState`).
 */
export class StreamflixClient {
  private readonly http: PartnerHttp;
  private readonly webhookUrl: URL;
  private readonly webhookSecrets: readonly string[];

  constructor(options: StreamflixClientOptions) {
    if (!options.baseUrl) throw new TypeError('StreamflixClient: set baseUrl to the Streamflix API URL');
    if (!options.apiKey) throw new TypeError('StreamflixClient: set apiKey to the key Streamflix issued');
    // One breaker for its API and its webhook endpoint: both are Streamflix.
    this.http = new PartnerHttp({
      partnerId: STREAMFLIX_ID,
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      breaker: options.breaker,
      refusalReason,
    });
    this.webhookUrl = new URL(options.webhookUrl ?? this.http.baseUrl + STREAMFLIX_WEBHOOK_PATH);
    this.webhookSecrets = [...(options.webhookSecrets ?? [])];
    if (this.webhookSecrets.length > 0) assertWebhookSecrets(this.webhookSecrets, 'StreamflixClient: webhookSecrets');
  }

  /** Where Streamflix's circuit breaker stands (for tests and metrics). */
  get circuitState(): PartnerCircuitState {
    return this.http.circuitState;
  }

  /** The VIP of an entitlement, or null when Streamflix has none. */
  getRight(entitlementId: string, options: StreamflixCallOptions = {}): Promise<StreamflixRightRecord | null> {
    return this.http.request<StreamflixRightRecord | null>({
      method: 'GET',
      path: `/v1/rights/${encodeURIComponent(entitlementId)}`,
      route: '/v1/rights/:entitlementId',
      requestId: options.requestId,
      accept: { 404: () => null },
      schema: streamflixRightSchema,
    });
  }

  /** Sends `right.activate`; Streamflix applies an event id once, however often it is delivered. */
  activateRight(request: ActivateRightRequest, eventId: string, options: StreamflixCallOptions = {}): Promise<StreamflixWebhookReceipt> {
    return this.deliver(
      {
        type: 'right.activate',
        entitlementId: request.entitlementId,
        memberPseudonym: request.memberPseudonym,
        benefitCode: request.benefitCode,
        validFrom: request.validFrom.toISOString(),
        validUntil: request.validUntil.toISOString(),
      },
      eventId,
      options,
    );
  }

  /** Sends `right.revoke`; revoking an unknown or revoked right succeeds with no effect. */
  revokeRight(entitlementId: string, eventId: string, options: StreamflixCallOptions = {}): Promise<StreamflixWebhookReceipt> {
    return this.deliver({ type: 'right.revoke', entitlementId }, eventId, options);
  }

  /**
   * POSTs one signed event. The body holds nothing that changes between attempts (no
   * send time), so a retried event is byte-for-byte the same and Streamflix can dedupe it
   * by `webhook-id`; only `webhook-timestamp` and the signatures are fresh each attempt.
   */
  private async deliver(event: StreamflixEvent, eventId: string, options: StreamflixCallOptions): Promise<StreamflixWebhookReceipt> {
    if (this.webhookSecrets.length === 0) {
      throw new TypeError('StreamflixClient: set webhookSecrets (whsec_…) to send provisioning events to Streamflix');
    }
    const body = JSON.stringify(event);
    const signature = signWebhook({ id: eventId, timestamp: new Date(), body, secrets: this.webhookSecrets });
    return this.http.request({
      method: 'POST',
      path: this.webhookUrl,
      route: `${this.webhookUrl.pathname} (${event.type})`,
      // Signed by the webhook secrets alone: the API key is a credential for Streamflix's API, not for its webhook URL.
      authenticate: false,
      headers: { ...signature, 'content-type': 'application/json' },
      rawBody: body,
      requestId: options.requestId,
      schema: webhookReceiptSchema,
    });
  }
}

/** A refused webhook names why (`BAD_SIGNATURE`, …); worth passing on to whoever reads the outbox logs. */
function refusalReason(text: string): string | undefined {
  try {
    const reason = (JSON.parse(text) as { reason?: unknown }).reason;
    return typeof reason === 'string' && /^[A-Z_]{1,40}$/.test(reason) ? reason : undefined;
  } catch {
    return undefined;
  }
}
