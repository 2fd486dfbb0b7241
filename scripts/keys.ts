// npm run -s keys -- list
// npm run -s keys -- rotate [--lead <seconds>]
// npm run -s keys -- revoke <kid>
// Entitlement-token signing keys in SIGNING_KEYS_DIR (sealed under SIGNING_KEYS_ENCRYPTION_KEY
// when set). Running servers pick the change up within seconds, without a restart.
import { Command } from 'commander';
import { loadConfig, type AppConfig } from '../src/shared/config.js';
import { AesGcmKeyEncryption, FileSigningKeyStore, type ScheduledKey } from '../src/token/index.js';

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
    const key = await store.rotate({ leadTimeSeconds, tokenTtlSeconds: config.tokenTtlSeconds });
    console.log(`rotated: ${key.kid} is published now and signs from ${key.activatesAt.toISOString()}`);
    for (const k of await store.schedule()) console.log(line(k));
  });

program
  .command('revoke <kid>')
  .description('remove a key from the JWKS at once; if it was signing, a new key signs immediately')
  .action(async (kid: string) => {
    const store = await openStore();
    const { revoked, replacement } = await store.revoke(kid, { tokenTtlSeconds: config.tokenTtlSeconds });
    console.log(`revoked: ${revoked.kid}${replacement ? `; ${replacement.kid} signs from now on` : ''}`);
    console.log('Partners verifying offline may still hold it in a cached JWKS until its max-age passes.');
    for (const k of await store.schedule()) console.log(line(k));
  });

program.parseAsync().catch(fail);
