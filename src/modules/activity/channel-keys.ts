import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditContext } from '../audit/index.js';
import { CHANNEL_KEY_PREFIX, hashApiKey } from '../auth/index.js';
import { InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';

/** Channel names a key may report in: lowercase, as activities name them; `partner.*` are partners' tills. */
const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface CreatedChannelKey {
  id: string;
  channel: string;
  key: string;
  prefix: string;
}

export interface ChannelKeyView {
  id: string;
  channel: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * API keys of our own channels, which report members' activities (`recordActivity`) in their own
 * channel: created (shown once), looked up by hash, revoked; creating and revoking audited with
 * the key's id and prefix, never the key or its hash.
 */
export class ChannelKeyService {
  constructor(private readonly em: EntityManager) {}

  async create(channel: string, audit: AuditContext): Promise<CreatedChannelKey> {
    new InputValidator()
      .check(CHANNEL.test(channel), 'channel', 'must be 1-64 lowercase letters, digits, dashes or underscores (app, online-shop, store-pos, mini-program); partners report at their tills')
      .throwIfInvalid();
    const key = `${CHANNEL_KEY_PREFIX}${channel}_${randomBytes(32).toString('base64url')}`;
    const prefix = key.slice(0, CHANNEL_KEY_PREFIX.length + channel.length + 7);
    return this.em.transactional(async (tx) => {
      const [row] = await tx.execute<{ id: string }[]>(`insert into channel_api_key (id, channel, key_hash, prefix) values (gen_random_uuid(), ?, ?, ?) returning id`, [channel, hashApiKey(key), prefix]);
      await AuditLog.append(tx, audit, { action: 'channel_api_key.create', subject: row!.id, before: null, after: { id: row!.id, channel, prefix, revokedAt: null } });
      return { id: row!.id, channel, key, prefix };
    });
  }

  async resolve(keyHash: string): Promise<{ channel: string; apiKeyId: string } | null> {
    const [row] = await this.em.execute<{ id: string; channel: string }[]>(`select id, channel from channel_api_key where key_hash = ? and revoked_at is null`, [keyHash]);
    return row ? { channel: row.channel, apiKeyId: row.id } : null;
  }

  /** Revokes at once; false when the key is unknown or already revoked. */
  async revoke(apiKeyId: string, audit: AuditContext): Promise<boolean> {
    if (!isUuid(apiKeyId)) return false;
    return this.em.transactional(async (tx) => {
      const revokedAt = new Date();
      const [revoked] = await tx.execute<{ channel: string; prefix: string }[]>(
        `update channel_api_key set revoked_at = ? where id = ? and revoked_at is null returning channel, prefix`,
        [revokedAt, apiKeyId],
      );
      if (!revoked) return false;
      const key = { id: apiKeyId, channel: revoked.channel, prefix: revoked.prefix };
      await AuditLog.append(tx, audit, { action: 'channel_api_key.revoke', subject: apiKeyId, before: { ...key, revokedAt: null }, after: { ...key, revokedAt } });
      return true;
    });
  }

  async list(): Promise<ChannelKeyView[]> {
    const rows = await this.em.execute<{ id: string; channel: string; prefix: string; created_at: Date; revoked_at: Date | null }[]>(
      `select id, channel, prefix, created_at, revoked_at from channel_api_key order by created_at, id`,
    );
    return rows.map((r) => ({ id: r.id, channel: r.channel, prefix: r.prefix, createdAt: new Date(r.created_at), revokedAt: r.revoked_at ? new Date(r.revoked_at) : null }));
  }
}
