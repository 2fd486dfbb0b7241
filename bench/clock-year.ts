// `npm run bench:clock`: how long a test clock takes to advance one year for BENCH_CLOCK_MEMBERS
// (1,000) members attached to it, each holding a PLUS membership bought at the clock's start
// (mandate signed in the WeChat Pay sandbox): a year of months of coffees, the renewal reminders,
// the renewals, their charges and confirmations, all run as the advance steps through them. The
// whole app runs in this process (as `npm start` does); the advance is one `advanceTestClock`
// through the gateway, as an admin calls it.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import pg from 'pg';
import { BUILT_IN_PARTNERS, loadSandboxes } from '../src/built-in-partners.js';
import { loadPaymentSandbox, PAYMENT_ADAPTER } from '../src/built-in-payments.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { startApp } from '../src/runtime/app.js';
import { createBenchDatabase, graphql } from './setup.js';

const MEMBERS = Number(process.env.BENCH_CLOCK_MEMBERS ?? 1_000);
const START = new Date('2027-01-10T02:00:00.000Z');
const log = (line: string) => console.log(line);

const db = await createBenchDatabase(log);
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-clock-'));
let code = 1;
try {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    DATA_DIR: dataDir,
    PUBLIC_URL: 'http://localhost:4000',
    RATE_LIMIT_MEMBER_MUTATIONS: '1000000',
  });
  const app = await startApp({
    config,
    databaseUrl: db.url,
    logger: createLogger('warn'),
    partners: BUILT_IN_PARTNERS,
    sandboxes: await loadSandboxes(),
    paymentAdapter: PAYMENT_ADAPTER,
    paymentSandbox: await loadPaymentSandbox(),
    jobs: false,
  });
  try {
    const admin = await app.devIssuer!.mint('bench-admin', { admin: true });
    const clock = await graphql<{ createTestClock: { id: string } }>(app.graphqlUrl, admin, `mutation($at: DateTimeISO!) { createTestClock(frozenTime: $at, name: "bench") { id } }`, {
      at: START.toISOString(),
    });
    const clockId = clock.createTestClock.id;
    log(`seeding ${MEMBERS.toLocaleString('en-US')} members on one test clock, each with PLUS bought at ${START.toISOString()}…`);
    const memberIds = Array.from({ length: MEMBERS }, () => randomUUID());
    const payerIds = memberIds.map((id) => app.deps.pseudonyms.forPartner(id, `payments-${app.payments.name}`));
    const mandates: string[] = [];
    for (let i = 0; i < payerIds.length; i += 1000) {
      const response = await fetch(`${app.paymentSandbox!.url}/sandbox/mandates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payerIds: payerIds.slice(i, i + 1000) }),
      });
      mandates.push(...((await response.json()) as { mandates: Array<{ mandateId: string }> }).mandates.map((m) => m.mandateId));
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const {
        rows: [plan],
      } = await client.query<{ plan_id: string; version_id: string }>(
        `select p.id as plan_id, bv.id as version_id from plan p join bundle_version bv on bv.bundle_id = p.bundle_id where p.code = 'PLUS' order by bv.version desc limit 1`,
      );
      const end = new Date(START);
      end.setUTCFullYear(end.getUTCFullYear() + 1);
      const membershipIds = memberIds.map(() => randomUUID());
      await client.query(`insert into member (id, issuer, subject) select id, 'bench-clock', id::text from unnest($1::uuid[]) as id`, [memberIds]);
      await client.query(`insert into test_clock_member (member_id, test_clock_id) select id, $2 from unnest($1::uuid[]) as id`, [memberIds, clockId]);
      await client.query(
        `insert into membership (id, member_id, plan_id, bundle_version_id, status, idempotency_key, current_period_start, current_period_end, auto_renew, mandate_id, test_clock_id, next_due_at)
         select m.id, m.member_id, $3, $4, 'ACTIVE', 'bench-clock', $5, $6, true, m.mandate_id, $8, $5
         from unnest($1::uuid[], $2::uuid[], $7::text[]) as m(id, member_id, mandate_id)`,
        [membershipIds, memberIds, plan!.plan_id, plan!.version_id, START, end, mandates, clockId],
      );
      await client.query(
        `insert into payment (id, membership_id, member_id, provider, amount, currency, status, kind, plan_id, period_start, period_end, charged_at, settled_at)
         select gen_random_uuid(), m.id, m.member_id, $5, 19800, 'CNY', 'SUCCEEDED', 'INITIAL', $2, $3, $4, $3, $3 from unnest($1::uuid[], $6::uuid[]) as m(id, member_id)`,
        [membershipIds, plan!.plan_id, START, end, app.payments.name, memberIds],
      );
      const to = new Date(end.getTime() + 86_400_000);
      log(`advancing the clock one year (to ${to.toISOString()}) through the gateway…`);
      const started = process.hrtime.bigint();
      await graphql(app.graphqlUrl, admin, `mutation($c: ID!, $to: DateTimeISO!) { advanceTestClock(testClockId: $c, to: $to) { frozenTime } }`, { c: clockId, to: to.toISOString() });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const {
        rows: [done],
      } = await client.query<{ renewed: number; reminded: number; coffees: number }>(
        `select (select count(*) from payment p join membership m on m.id = p.membership_id where m.test_clock_id = $1 and p.kind = 'RENEWAL' and p.status = 'SUCCEEDED')::int as renewed,
                (select count(*) from membership_event e join membership m on m.id = e.membership_id where m.test_clock_id = $1 and e.type = 'REMINDED')::int as reminded,
                (select count(*) from entitlement e join membership m on m.id = e.membership_id join benefit b on b.id = e.benefit_id where m.test_clock_id = $1 and b.code = 'COFFEE')::int as coffees`,
        [clockId],
      );
      log(
        `advanceTestClock, one year, ${MEMBERS.toLocaleString('en-US')} members: ${seconds.toFixed(1)} s ` +
          `(${done!.renewed} renewed and paid, ${done!.reminded} reminded, ${done!.coffees} months of coffees)`,
      );
      code = done!.renewed === MEMBERS && done!.reminded === MEMBERS ? 0 : 1;
    } finally {
      await client.end();
    }
  } finally {
    await app.close();
  }
} catch (error) {
  console.error(error instanceof Error ? error.stack : error);
} finally {
  await db.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
process.exit(code);
