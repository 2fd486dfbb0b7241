import type { MikroORM } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { verifyWebhook, WebhookVerificationError, type WebhookRequestHeaders } from '../../../partners/sdk/index.js';
import { isUuid } from '../../platform/loader.js';
import type { Logger } from '../../platform/logger.js';
import { acknowledgeProvisioning, EntitlementStatus } from '../entitlement/index.js';

const acknowledged = z.object({
  type: z.literal('right.acknowledged'),
  entitlementId: z.string().refine(isUuid, 'must be a UUID'),
  status: z.enum(['ACTIVE', 'REJECTED']),
  activeUntil: z.string().optional(),
  reference: z.string().max(200).optional(),
  reason: z.string().max(200).optional(),
});

export interface PartnerEventResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Signed events partners send us (`POST /partners/{id}/events`, Standard Webhooks): a
 * partner acknowledging a right it holds moves it from PENDING_PROVISION to ACTIVE, or
 * to REVOKED when it rejected it. Each webhook id is applied once; a partner can only
 * touch rights of its own benefits.
 */
export class PartnerEventReceiver {
  constructor(
    private readonly orm: MikroORM,
    /** Secrets each partner signs its events with (several during a rotation). */
    private readonly secrets: ReadonlyMap<string, string[]>,
    private readonly logger: Logger,
  ) {}

  async receive(partnerId: string, rawBody: string, headers: WebhookRequestHeaders): Promise<PartnerEventResponse> {
    const secrets = this.secrets.get(partnerId);
    if (!secrets?.length) return { status: 404, body: { error: 'not_found' } };
    let webhookId: string;
    try {
      webhookId = verifyWebhook(rawBody, headers, secrets).id;
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        return { status: 401, body: { error: 'invalid_signature', reason: error.reason } };
      }
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      return { status: 400, body: { error: 'bad_request', problems: ['body is not JSON'] } };
    }
    const parsed = acknowledged.safeParse(json);
    if (!parsed.success) {
      return { status: 400, body: { error: 'bad_request', problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) } };
    }
    const event = parsed.data;
    return this.orm.em.fork().transactional(async (tx) => {
      const fresh = await tx.execute<{ id: string }[]>(
        `insert into inbound_partner_event (id, partner_id, type, body) values (?, ?, ?, ?)
         on conflict do nothing returning id`,
        [webhookId, partnerId, event.type, JSON.stringify(event)],
      );
      if (fresh.length === 0) return { status: 200, body: { duplicate: true } };
      const applied = await acknowledgeProvisioning(
        tx,
        event.entitlementId,
        event.status === 'ACTIVE' ? EntitlementStatus.ACTIVE : EntitlementStatus.REVOKED,
        { partnerId },
      );
      this.logger.info(
        { partner: partnerId, webhookId, entitlementId: event.entitlementId, status: event.status, applied },
        'partner acknowledged a right',
      );
      return { status: 200, body: { applied } };
    });
  }
}
