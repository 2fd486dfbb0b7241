// npm run -s audit:verify — walks every chain of the audit log and recomputes every hash
// (HMAC under the audit keys for keyed rows, SHA-256 for legacy ones). Prints one line per
// chain (rows, legacy/keyed, head seq and hash) and the first break of each broken chain;
// exits 1 on any break. Same configuration as the server: DATABASE_URL (else the embedded
// database under DATA_DIR), AUDIT_HMAC_KEY (else $DATA_DIR/secrets/audit.key, never created
// here) and AUDIT_HMAC_KEYS_OLD.
import 'reflect-metadata';
import { auditKeySourceOf, loadAuditKeyring, verifyAuditChain } from '../src/modules/audit/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { loadConfig } from '../src/platform/config.js';
import { withDatabase } from './database.js';

const entries = (n: number) => `${n} entr${n === 1 ? 'y' : 'ies'}`;

const config = loadConfig();
const keyring = await loadAuditKeyring(auditKeySourceOf(config), { create: false });

await withDatabase(async (databaseUrl) => {
  const orm = await connectOrm({ databaseUrl, entities: [], poolSize: 1 });
  try {
    const em = orm.em.fork();
    const [table] = await em.execute<{ exists: boolean }[]>(`select to_regclass('audit_log') is not null as exists`);
    if (!table?.exists) {
      console.error('no audit_log table in this database: apply the migrations first (the server does at start-up)');
      process.exitCode = 1;
      return;
    }
    const ids = keyring.ids();
    console.log(
      ids.length
        ? `audit keys: ${ids.map((id) => (id === keyring.current?.id ? `${id} (current)` : id)).join(', ')}`
        : 'audit keys: none (set AUDIT_HMAC_KEY, or run where $DATA_DIR/secrets/audit.key is): keyed rows cannot verify',
    );
    const report = await verifyAuditChain(em, { keyring });
    for (const c of report.chains) {
      const kinds = c.legacy ? ` (${c.legacy} legacy SHA-256, ${c.keyed} HMAC)` : '';
      const head = c.head ? `  head ${c.head.seq} ${c.head.hash}` : '';
      const state = c.broken ? `BROKEN at seq ${c.broken.seq}: ${c.broken.reason}` : 'intact';
      console.log(`chain ${String(c.chain).padStart(2)}: ${entries(c.entries)}${kinds} ${state}${head}`);
    }
    const chains = `${report.chains.length} chain${report.chains.length === 1 ? '' : 's'}`;
    if (report.intact) {
      console.log(`audit log intact: ${entries(report.entries)} in ${chains}`);
    } else {
      console.error(`audit log BROKEN: ${report.breaks.length} of ${chains} broken (${entries(report.entries)} verify)`);
      process.exitCode = 1;
    }
  } finally {
    await orm.close();
  }
});
