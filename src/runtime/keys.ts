import path from 'node:path';
import { DevIssuer } from '../modules/auth/index.js';
import { AesGcmKeyEncryption, type FileSigningKeyStoreOptions, type SigningKeyStore } from '../modules/keys/index.js';
import { StatusLists, StatusListTokenSigner } from '../modules/status-list/index.js';
import { staffRoleValues, type AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';

/** The partners' token status lists, signed with the entitlement token keys. */
export function statusListsOf(config: AppConfig, keyStore: SigningKeyStore, now?: () => Date): StatusLists {
  return new StatusLists({
    issuer: config.publicUrl,
    capacity: config.statusListCapacity,
    ttlSeconds: config.statusListTtlSeconds,
    signer: new StatusListTokenSigner(config.publicUrl, keyStore),
    ...(now ? { now } : {}),
  });
}

/**
 * How this process opens the signing keys: sealed at rest under `SIGNING_KEYS_ENCRYPTION_KEY`
 * when set, schedule decisions by the app's clock, re-read failures logged.
 */
export function signingKeyStoreOptions(config: AppConfig, logger: Logger, now?: () => Date): FileSigningKeyStoreOptions {
  return {
    ...(now ? { now } : {}),
    ...(config.signingKeysEncryptionKey ? { encryption: new AesGcmKeyEncryption(config.signingKeysEncryptionKey) } : {}),
    onReloadError: (error) => logger.error({ err: error }, 'signing key manifest re-read failed; serving the keys already loaded'),
  };
}

/** The dev issuer outside production (it mints member and staff JWTs); undefined in production. */
export async function openDevIssuer(config: AppConfig): Promise<DevIssuer | undefined> {
  if (config.nodeEnv === 'production') return undefined;
  return DevIssuer.open({
    dir: path.join(config.dataDir, 'dev-issuer'),
    audience: config.auth.audience,
    roleClaim: config.auth.roleClaim,
    adminRole: config.auth.adminRole,
    staffRoles: staffRoleValues(config.auth),
    nodeEnv: config.nodeEnv,
  });
}
