import { randomBytes } from 'node:crypto';
import type { SqlTransaction } from '../../platform/sql.js';
import { AuditLog, type AuditContext, type AuditRecord } from '../audit/index.js';
import { hashApiKey, PARTNER_KEY_PREFIX } from '../auth/index.js';

// No ORM here: `dev:credential` creates keys with plain `pg` through these (see pgTransaction).

/** A partner API key before it is stored: the key (shown once) and what is stored of it. */
export interface NewPartnerApiKey {
  /** `cgk_<partner>_<43 base64url characters>`: 256 random bits. */
  key: string;
  /** Hex SHA-256 of the key: the only form stored. */
  keyHash: string;
  /** The first characters, to tell keys apart in listings. */
  prefix: string;
}

/** Draws a new API key for `partnerId`. */
export function newPartnerApiKey(partnerId: string): NewPartnerApiKey {
  const key = `${PARTNER_KEY_PREFIX}${partnerId}_${randomBytes(32).toString('base64url')}`;
  return { key, keyHash: hashApiKey(key), prefix: key.slice(0, PARTNER_KEY_PREFIX.length + partnerId.length + 7) };
}

/** The audit row of a created key: its id and prefix, never the key or its hash. */
export function partnerApiKeyCreatedAudit(created: { id: string; partnerId: string; prefix: string; label?: string | null }): AuditRecord {
  return {
    action: 'partner_api_key.create',
    subject: created.id,
    before: null,
    after: { id: created.id, partnerId: created.partnerId, prefix: created.prefix, ...(created.label ? { label: created.label } : {}), revokedAt: null },
  };
}

/** A key just created: the key itself is shown this once. */
export interface CreatedApiKey {
  id: string;
  partnerId: string;
  key: string;
  prefix: string;
  /** The partner's own name for it; null when none was given. */
  label: string | null;
}

/**
 * Creates an API key for `partnerId` in the caller's transaction (an EntityManager, or a
 * plain `pg` client through `pgTransaction`), with its `partner_api_key.create` audit row.
 */
export async function insertPartnerApiKey(tx: SqlTransaction, partnerId: string, audit: AuditContext, label: string | null = null): Promise<CreatedApiKey> {
  const { key, keyHash, prefix } = newPartnerApiKey(partnerId);
  const [row]: Array<{ id: string }> = await tx.execute(
    'insert into partner_api_key (id, partner_id, key_hash, prefix, label) values (gen_random_uuid(), ?, ?, ?, ?) returning id',
    [partnerId, keyHash, prefix, label],
  );
  await AuditLog.append(tx, audit, partnerApiKeyCreatedAudit({ id: row!.id, partnerId, prefix, label }));
  return { id: row!.id, partnerId, key, prefix, label };
}
