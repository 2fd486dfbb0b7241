import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, SYSTEM_AUDIT, type AuditContext } from '../audit/index.js';
import { AppError } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { insertPartnerApiKey, type CreatedApiKey } from './partner-api-key.js';
import { Partner, PartnerApiKey } from './partner.entity.js';

/**
 * Partner API keys: created (shown once), looked up by hash, revoked. Creating and revoking
 * are audited (`partner_api_key.create`, `.revoke`) with the key's id and prefix, never the
 * key or its hash.
 */
export class PartnerKeyService {
  constructor(private readonly em: EntityManager) {}

  /** @param audit who asks; scripts and start-up default to `system`. */
  async create(partnerId: string, audit: AuditContext = SYSTEM_AUDIT): Promise<CreatedApiKey> {
    const partner = await this.em.findOne(Partner, { id: partnerId });
    if (!partner) throw AppError.notFound('Partner', partnerId);
    return this.em.transactional((em) => insertPartnerApiKey(em, partnerId, audit));
  }

  /** The partner owning an active key with this hash, or null. */
  async resolve(keyHash: string): Promise<{ partnerId: string; apiKeyId: string } | null> {
    const row = await this.em.findOne(PartnerApiKey, { keyHash, revokedAt: null });
    return row ? { partnerId: row.partner.id, apiKeyId: row.id } : null;
  }

  /** Revokes at once; false when the key is unknown or already revoked. */
  async revoke(apiKeyId: string, audit: AuditContext): Promise<boolean> {
    if (!isUuid(apiKeyId)) return false;
    return this.em.transactional(async (em) => {
      const revokedAt = new Date();
      const [revoked] = await em.execute<{ partner_id: string; prefix: string }[]>(
        'update partner_api_key set revoked_at = ? where id = ? and revoked_at is null returning partner_id, prefix',
        [revokedAt, apiKeyId],
      );
      if (!revoked) return false;
      const key = { id: apiKeyId, partnerId: revoked.partner_id, prefix: revoked.prefix };
      await AuditLog.append(em, audit, {
        action: 'partner_api_key.revoke',
        subject: apiKeyId,
        before: { ...key, revokedAt: null },
        after: { ...key, revokedAt },
      });
      return true;
    });
  }

  listPartners(): Promise<Partner[]> {
    return this.em.find(Partner, {}, { orderBy: { id: 'asc' } });
  }
}
