import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditContext } from '../audit/index.js';
import type { FileSigningKeyStore, RevokeOptions, RevokeResult, RotateOptions, ScheduledKey } from './signing-key-store.js';

/** A key's schedule as the audit log records it: public facts only, never key material. */
function scheduleOf(key: ScheduledKey): Record<string, string | null> {
  const iso = (date: Date | undefined) => date?.toISOString() ?? null;
  return {
    kid: key.kid,
    status: key.status,
    publishedAt: iso(key.publishedAt),
    activatesAt: iso(key.activatesAt),
    retiresAt: iso(key.retiresAt),
    revokedAt: iso(key.revokedAt),
  };
}

/** Fails before the key store changes when the audit log cannot be written (no database, not migrated). */
async function assertAuditable(em: EntityManager): Promise<void> {
  await em.execute('select 1 from audit_log limit 0');
}

/**
 * Rotates the signing key (see {@link FileSigningKeyStore.rotate}) and records
 * `signing_key.rotate` with the schedule before and after. The audit log is checked to be
 * writable first, so the keys do not change unrecorded; a failed rotation records nothing.
 */
export async function rotateSigningKey(
  em: EntityManager,
  store: FileSigningKeyStore,
  options: RotateOptions,
  audit: AuditContext,
): Promise<ScheduledKey> {
  return em.transactional(async (tx) => {
    await assertAuditable(tx);
    const before = (await store.schedule()).map(scheduleOf);
    const key = await store.rotate(options);
    await AuditLog.append(tx, audit, {
      action: 'signing_key.rotate',
      subject: key.kid,
      before: { keys: before },
      after: { keys: (await store.schedule()).map(scheduleOf) },
    });
    return key;
  });
}

/**
 * Revokes a signing key at once (see {@link FileSigningKeyStore.revoke}) and records
 * `signing_key.revoke`, naming the replacement key when there is one.
 */
export async function revokeSigningKey(
  em: EntityManager,
  store: FileSigningKeyStore,
  kid: string,
  options: RevokeOptions,
  audit: AuditContext,
): Promise<RevokeResult> {
  return em.transactional(async (tx) => {
    await assertAuditable(tx);
    const before = (await store.schedule()).map(scheduleOf);
    const result = await store.revoke(kid, options);
    await AuditLog.append(tx, audit, {
      action: 'signing_key.revoke',
      subject: kid,
      before: { keys: before },
      after: { keys: (await store.schedule()).map(scheduleOf), replacement: result.replacement?.kid ?? null },
    });
    return result;
  });
}
