// npm run -s keys -- list
// npm run -s keys -- rotate [--lead <seconds>]
// npm run -s keys -- revoke <kid>
// Entitlement-token signing keys in SIGNING_KEYS_DIR (sealed under SIGNING_KEYS_ENCRYPTION_KEY
// when set). Running servers pick the change up within seconds, without a restart. Rotations
// and revocations are recorded in the audit log (signing_key.rotate / signing_key.revoke).
import os from 'node:os';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Command } from 'commander';
import { openAuditLog, type AuditContext } from '../src/modules/audit/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { loadConfig, type AppConfig } from '../src/platform/config.js';
import { AesGcmKeyEncryption, FileSigningKeyStore, revokeSigningKey, rotateSigningKey, type ScheduledKey } from '../src/modules/keys/index.js';
import { withDatabase } from './database.js';

function fail(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

let config: AppConfig;
try {
  config = loadConfig();
} catch (error) {
  fail(error);
}

function openStore(): Promise<FileSigningKeyStore> {
  return FileSigningKeyStore.open(
    config.signingKeysDir,
    config.signingKeysEncryptionKey ? { encryption: new AesGcmKeyEncryption(config.signingKeysEncryptionKey) } : {},
  );
}

/** Key operations are audited in the database, as the operator who ran the command. */
const OPERATOR: AuditContext = { actor: `operator:${os.userInfo().username}`, requestId: null };

async function audited<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
  await openAuditLog(config);
  return withDatabase(
    async (databaseUrl) => {
      const orm = await connectOrm({ databaseUrl, entities: [], poolSize: 1 });
      try {
        return await work(orm.em.fork());
      } finally {
        await orm.close();
      }
    },
    { migrateAndSeed: true },
  );
}

function line(key: ScheduledKey): string {
  const at = (label: string, date: Date | undefined) => (date ? `  ${label} ${date.toISOString()}` : '');
  return `${key.kid}  ${key.status.padEnd(9)}${at('published', key.publishedAt)}${at('activates', key.activatesAt)}${at('retires', key.retiresAt)}${at('revoked', key.revokedAt)}`;
}

const program = new Command().name('keys').description(`signing keys in ${config.signingKeysDir}`);

program
  .command('list')
  .description('every key with its status: pending, signing, verifying, retired or revoked')
  .action(async () => {
    for (const key of await (await openStore()).schedule()) console.log(line(key));
  });

program
  .command('rotate')
  .description('publish a new key now; it signs after the lead time, and the keys it replaces retire once their tokens expire')
  .option('--lead <seconds>', 'seconds between publishing and signing', String(config.signingKeyRotationLeadSeconds))
  .action(async (options: { lead: string }) => {
    const leadTimeSeconds = Number(options.lead);
    if (!Number.isInteger(leadTimeSeconds) || leadTimeSeconds < 0) throw new Error(`--lead must be a whole number of seconds, got ${options.lead}`);
    const store = await openStore();
    const key = await audited((em) => rotateSigningKey(em, store, { leadTimeSeconds, tokenTtlSeconds: config.tokenTtlSeconds }, OPERATOR));
    console.log(`rotated: ${key.kid} is published now and signs from ${key.activatesAt.toISOString()}`);
    for (const k of await store.schedule()) console.log(line(k));
  });

program
  .command('revoke <kid>')
  .description('remove a key from the JWKS at once; if it was signing, a new key signs immediately')
  .action(async (kid: string) => {
    const store = await openStore();
    const { revoked, replacement } = await audited((em) => revokeSigningKey(em, store, kid, { tokenTtlSeconds: config.tokenTtlSeconds }, OPERATOR));
    console.log(`revoked: ${revoked.kid}${replacement ? `; ${replacement.kid} signs from now on` : ''}`);
    console.log('Partners verifying offline may still hold it in a cached JWKS until its max-age passes.');
    for (const k of await store.schedule()) console.log(line(k));
  });

program.parseAsync().catch(fail);
