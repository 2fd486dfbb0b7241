import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashApiKey, PARTNER_KEY_PREFIX } from '../auth/index.js';
import { AppError } from '../shared/errors.js';
import { isUuid } from '../shared/loader.js';
import { Partner, PartnerApiKey } from './partner.entity.js';

export interface CreatedApiKey {
  id: string;
  partnerId: string;
  /** The whole key: shown this once, only its hash is stored. */
  key: string;
  prefix: string;
}

/** Partner API keys: created (shown once), looked up by hash, revoked. */
export class PartnerKeyService {
  constructor(private readonly em: EntityManager) {}

  async create(partnerId: string): Promise<CreatedApiKey> {
    const partner = await this.em.findOne(Partner, { id: partnerId });
    if (!partner) throw AppError.notFound('Partner', partnerId);
    const key = `${PARTNER_KEY_PREFIX}${partnerId}_${randomBytes(32).toString('base64url')}`;
    const row = this.em.create(PartnerApiKey, {
      partner,
      keyHash: hashApiKey(key),
      prefix: key.slice(0, PARTNER_KEY_PREFIX.length + partnerId.length + 7),
    });
    await this.em.flush();
    return { id: row.id, partnerId, key, prefix: row.prefix };
  }

  /** The partner owning an active key with this hash, or null. */
  async resolve(keyHash: string): Promise<{ partnerId: string; apiKeyId: string } | null> {
    const row = await this.em.findOne(PartnerApiKey, { keyHash, revokedAt: null });
    return row ? { partnerId: row.partner.id, apiKeyId: row.id } : null;
  }

  /** Revokes at once; false when the key is unknown or already revoked. */
  async revoke(apiKeyId: string): Promise<boolean> {
    if (!isUuid(apiKeyId)) return false;
    const changed = await this.em.nativeUpdate(PartnerApiKey, { id: apiKeyId, revokedAt: null }, { revokedAt: new Date() });
    return changed > 0;
  }

  listPartners(): Promise<Partner[]> {
    return this.em.find(Partner, {}, { orderBy: { id: 'asc' } });
  }
}
