// Walks the audit log in seq order and recomputes every hash: prints
// `audit chain intact: N entries`, or the first broken seq and exits 1.
// Uses the database of DATABASE_URL, or the embedded one.
import 'reflect-metadata';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { withDatabase } from './database.js';

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
    const report = await verifyAuditChain(em);
    if (report.intact) {
      console.log(`audit chain intact: ${report.entries} entries`);
    } else {
      console.error(`audit chain broken at seq ${report.brokenSeq}: ${report.reason} (${report.entries} entries intact before it)`);
      process.exitCode = 1;
    }
  } finally {
    await orm.close();
  }
});
