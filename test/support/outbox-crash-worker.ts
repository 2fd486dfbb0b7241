// A delivery worker that dies by SIGKILL right after the partner accepted an event and
// before the event is marked delivered: the worst moment a real crash can hit.
// Run compiled: node dist/test/support/outbox-crash-worker.js (env DATABASE_URL,
// SANDBOX_URL, SANDBOX_API_KEY, PSEUDONYM_SECRET). Exits 3 when nothing was due.
import 'reflect-metadata';
import { flushCompileCache } from 'node:module';
import { sparkwash } from '../../partners/sparkwash/index.js';
import { connectOrm } from '../../src/platform/db/orm.js';
import { OutboxWorker } from '../../src/modules/provisioning/outbox-worker.js';
import { createLogger } from '../../src/platform/logger.js';
import { MemberPseudonymizer } from '../../src/modules/keys/index.js';

// This process always dies by SIGKILL: write what it compiled to the compile cache vitest.config.ts turns on, for the next one.
flushCompileCache();

const orm = await connectOrm({ databaseUrl: process.env.DATABASE_URL!, entities: [], poolSize: 1 });
// A generous timeout: under load a slow partner answer must not turn the planned kill into a retry.
const client = sparkwash.createClient({ baseUrl: process.env.SANDBOX_URL!, apiKey: process.env.SANDBOX_API_KEY!, timeoutMs: 15_000 });
const worker = new OutboxWorker(orm, {
  targets: new Map([['sparkwash', sparkwash.provisioning(client)]]),
  pseudonyms: new MemberPseudonymizer(Buffer.from(process.env.PSEUDONYM_SECRET!)),
  logger: createLogger('silent'),
  afterPartnerAccepted: () => {
    process.kill(process.pid, 'SIGKILL');
  },
});
const outcome = await worker.deliverNext();
await orm.close();
process.exit(outcome === 'idle' ? 3 : 4);
