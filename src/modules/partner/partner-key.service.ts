import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, SYSTEM_AUDIT, type AuditContext } from '../audit/index.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import type { SqlTransaction } from '../../platform/sql.js';
import { insertPartnerApiKey, type CreatedApiKey } from './partner-api-key.js';
import { PartnerKeyError } from './partner.errors.js';
import { Partner } from './partner.entity.js';

/** Keys a partner may hold in service (not revoked, not being rotated out) through the self-service operations; admins may go past it. */
export const MAX_PARTNER_API_KEYS = 10;
/** What `rotateMyPartnerApiKey` gives the old key when the partner names no overlap: a day to roll its tills. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 86_400;
/** The longest overlap a rotation may give: a week. */
export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 86_400;
const MAX_LABEL_LENGTH = 100;

/** Where a key stands now. */
export type PartnerApiKeyStatus = 'ACTIVE' | 'ROTATING' | 'EXPIRED' | 'REVOKED';

/** A partner API key as its partner sees it: never the key or its hash. */
export interface PartnerApiKeyView {
  id: string;
  partnerId: string;
  prefix: string;
  label: string | null;
  createdAt: Date;
  /** When a rotated key stops (or stopped) working. */
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** The key that replaced it by rotation. */
  replacedById: string | null;
  status: PartnerApiKeyStatus;
  /** True for the key the request was made with. */
  current: boolean;
}

/** A rotation: the successor (shown once) and the old key with the end of its overlap. */
export interface PartnerApiKeyRotation {
  successor: CreatedApiKey;
  previous: PartnerApiKeyView;
}

interface KeyRow {
  id: string;
  partner_id: string;
  prefix: string;
  label: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  replaced_by_id: string | null;
}

const KEY_COLUMNS = 'id, partner_id, prefix, label, created_at, expires_at, revoked_at, replaced_by_id';

/**
 * Partner API keys: created (shown once), looked up by hash, rotated, revoked. A key works while
 * it is not revoked and its rotation overlap, if any, has not ended. Creating, rotating and
 * revoking are audited (`partner_api_key.create`, `.rotate`, `.revoke`) with the key's id and
 * prefix, never the key or its hash.
 *
 * Admins manage any partner's keys (`create`, `revoke`); a partner manages its own, signed in
 * with one of them (`listOwn`, `createOwn`, `rotateOwn`, `revokeOwn`): another partner's key is
 * NOT_FOUND like an unknown one. A partner's own key operations take its row's lock first, so
 * the cap and the last-key rule hold under concurrent calls.
 */
export class PartnerKeyService {
  private readonly now: () => Date;

  constructor(
    private readonly em: EntityManager,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** @param audit who asks; scripts and start-up default to `system`. */
  async create(partnerId: string, audit: AuditContext = SYSTEM_AUDIT): Promise<CreatedApiKey> {
    const partner = await this.em.findOne(Partner, { id: partnerId });
    if (!partner) throw AppError.notFound('Partner', partnerId);
    return this.em.transactional((em) => insertPartnerApiKey(em, partnerId, audit));
  }

  /**
   * The partner owning a key with this hash that works now (not revoked, its rotation overlap not
   * over), or null. A read only: authenticating writes nothing (no last-use tracking).
   */
  async resolve(keyHash: string): Promise<{ partnerId: string; apiKeyId: string } | null> {
    const [row] = await this.em.execute<{ id: string; partner_id: string }[]>(
      'select id, partner_id from partner_api_key where key_hash = ? and revoked_at is null and (expires_at is null or expires_at > ?)',
      [keyHash, this.now()],
    );
    return row ? { partnerId: row.partner_id, apiKeyId: row.id } : null;
  }

  /** Revokes at once (a key being rotated out too); false when the key is unknown or already revoked. */
  async revoke(apiKeyId: string, audit: AuditContext): Promise<boolean> {
    if (!isUuid(apiKeyId)) return false;
    return this.em.transactional(async (em) => {
      const [revoked] = await em.execute<{ partner_id: string; prefix: string }[]>(
        'update partner_api_key set revoked_at = ? where id = ? and revoked_at is null returning partner_id, prefix',
        [this.now(), apiKeyId],
      );
      if (!revoked) return false;
      await this.auditRevoke(em, audit, { id: apiKeyId, partnerId: revoked.partner_id, prefix: revoked.prefix });
      return true;
    });
  }

  listPartners(): Promise<Partner[]> {
    return this.em.find(Partner, {}, { orderBy: { id: 'asc' } });
  }

  /** The partner's keys, newest first, revoked and expired ones included; `currentKeyId` marks the caller's. */
  async listOwn(partnerId: string, currentKeyId: string): Promise<PartnerApiKeyView[]> {
    const rows = await this.em.execute<KeyRow[]>(`select ${KEY_COLUMNS} from partner_api_key where partner_id = ? order by created_at desc, id`, [partnerId]);
    return rows.map((row) => this.view(row, currentKeyId));
  }

  /** A new key of the partner's own (shown once); API_KEY_LIMIT_REACHED at {@link MAX_PARTNER_API_KEYS} keys in service. */
  async createOwn(partnerId: string, label: string | null | undefined, audit: AuditContext): Promise<CreatedApiKey> {
    const cleanLabel = validLabel(label);
    return this.em.transactional(async (tx) => {
      await lockPartner(tx, partnerId);
      const [{ in_service } = { in_service: 0 }] = await tx.execute<{ in_service: number }[]>(
        'select count(*)::int as in_service from partner_api_key where partner_id = ? and revoked_at is null and expires_at is null',
        [partnerId],
      );
      if (in_service >= MAX_PARTNER_API_KEYS) throw PartnerKeyError.limitReached(MAX_PARTNER_API_KEYS);
      return insertPartnerApiKey(tx, partnerId, audit, cleanLabel);
    });
  }

  /**
   * Replaces one of the partner's keys: a successor is created (shown once; it takes the old
   * label unless one is given) and the old key keeps working for `overlapSeconds` (0: it stops
   * now), so tills can move to the new key without downtime. The number of keys in service does
   * not change, so a partner at the cap may still rotate.
   */
  async rotateOwn(
    partnerId: string,
    apiKeyId: string,
    options: { overlapSeconds: number; label?: string | null | undefined; currentKeyId: string },
    audit: AuditContext,
  ): Promise<PartnerApiKeyRotation> {
    const { overlapSeconds } = options;
    const label = validLabel(options.label, new InputValidator().check(
      Number.isInteger(overlapSeconds) && overlapSeconds >= 0 && overlapSeconds <= MAX_ROTATION_OVERLAP_SECONDS,
      'overlapSeconds',
      `must be a whole number of seconds from 0 (the old key stops now) to ${MAX_ROTATION_OVERLAP_SECONDS} (7 days)`,
    ));
    if (!isUuid(apiKeyId)) throw AppError.notFound('API key', apiKeyId);
    return this.em.transactional(async (tx) => {
      await lockPartner(tx, partnerId);
      const old = await ownKey(tx, partnerId, apiKeyId);
      const now = this.now();
      if (old.revoked_at) throw PartnerKeyError.notRotatable(apiKeyId, 'REVOKED');
      if (old.replaced_by_id) throw PartnerKeyError.notRotatable(apiKeyId, 'ROTATED', old.replaced_by_id);
      if (old.expires_at && new Date(old.expires_at) <= now) throw PartnerKeyError.notRotatable(apiKeyId, 'EXPIRED');
      const successor = await insertPartnerApiKey(tx, partnerId, audit, label ?? old.label);
      const expiresAt = new Date(now.getTime() + overlapSeconds * 1000);
      const [updated] = await tx.execute<KeyRow[]>(
        `update partner_api_key set expires_at = ?, replaced_by_id = ? where id = ? returning ${KEY_COLUMNS}`,
        [expiresAt, successor.id, apiKeyId],
      );
      const key = { id: apiKeyId, partnerId, prefix: old.prefix };
      await AuditLog.append(tx, audit, {
        action: 'partner_api_key.rotate',
        subject: apiKeyId,
        before: { ...key, expiresAt: old.expires_at ? new Date(old.expires_at) : null, replacedById: null },
        after: { ...key, expiresAt, replacedById: successor.id },
      });
      return { successor, previous: this.view(updated!, options.currentKeyId) };
    });
  }

  /**
   * Revokes one of the partner's keys at once (revoking a revoked key answers it as it is).
   * LAST_ACTIVE_API_KEY when no other key would stay in service: a partner never locks itself out.
   */
  async revokeOwn(partnerId: string, apiKeyId: string, currentKeyId: string, audit: AuditContext): Promise<PartnerApiKeyView> {
    if (!isUuid(apiKeyId)) throw AppError.notFound('API key', apiKeyId);
    return this.em.transactional(async (tx) => {
      await lockPartner(tx, partnerId);
      const key = await ownKey(tx, partnerId, apiKeyId);
      if (key.revoked_at) return this.view(key, currentKeyId);
      if (key.expires_at === null) {
        const [{ others } = { others: 0 }] = await tx.execute<{ others: number }[]>(
          'select count(*)::int as others from partner_api_key where partner_id = ? and id <> ? and revoked_at is null and expires_at is null',
          [partnerId, apiKeyId],
        );
        if (others === 0) throw PartnerKeyError.lastActiveKey(apiKeyId);
      }
      const [revoked] = await tx.execute<KeyRow[]>(`update partner_api_key set revoked_at = ? where id = ? returning ${KEY_COLUMNS}`, [this.now(), apiKeyId]);
      await this.auditRevoke(tx, audit, { id: apiKeyId, partnerId, prefix: key.prefix }, revoked!.revoked_at!);
      return this.view(revoked!, currentKeyId);
    });
  }

  private async auditRevoke(tx: SqlTransaction, audit: AuditContext, key: { id: string; partnerId: string; prefix: string }, revokedAt: Date = this.now()): Promise<void> {
    await AuditLog.append(tx, audit, {
      action: 'partner_api_key.revoke',
      subject: key.id,
      before: { ...key, revokedAt: null },
      after: { ...key, revokedAt: new Date(revokedAt) },
    });
  }

  private view(row: KeyRow, currentKeyId: string): PartnerApiKeyView {
    const date = (value: Date | null) => (value ? new Date(value) : null);
    const expiresAt = date(row.expires_at);
    const revokedAt = date(row.revoked_at);
    const status: PartnerApiKeyStatus = revokedAt ? 'REVOKED' : !expiresAt ? 'ACTIVE' : expiresAt > this.now() ? 'ROTATING' : 'EXPIRED';
    return {
      id: row.id,
      partnerId: row.partner_id,
      prefix: row.prefix,
      label: row.label,
      createdAt: new Date(row.created_at),
      expiresAt,
      revokedAt,
      replacedById: row.replaced_by_id,
      status,
      current: row.id === currentKeyId,
    };
  }
}

/** Serializes a partner's own key operations (the cap, the last key): the row lock, which leaves inserts' foreign-key checks alone. */
async function lockPartner(tx: EntityManager, partnerId: string): Promise<void> {
  await tx.execute('select id from partner where id = ? for no key update', [partnerId]);
}

/** One of the partner's keys, locked; NOT_FOUND for another partner's, exactly like an unknown one. */
async function ownKey(tx: EntityManager, partnerId: string, apiKeyId: string): Promise<KeyRow> {
  const [row] = await tx.execute<KeyRow[]>(`select ${KEY_COLUMNS} from partner_api_key where id = ? and partner_id = ? for update`, [apiKeyId, partnerId]);
  if (!row) throw AppError.notFound('API key', apiKeyId);
  return row;
}

/** The label trimmed (null when absent or blank), every problem reported with the validator's others. */
function validLabel(label: string | null | undefined, validator = new InputValidator()): string | null {
  const trimmed = label?.trim() ?? '';
  validator.check(trimmed.length <= MAX_LABEL_LENGTH, 'label', `must be at most ${MAX_LABEL_LENGTH} characters`).throwIfInvalid();
  return trimmed || null;
}
