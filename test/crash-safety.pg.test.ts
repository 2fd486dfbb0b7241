// Issue 4, crash safety: the compiled server is killed with SIGKILL 20 times under
// redemption load while partner clients retry with their idempotency keys. Afterwards no
// acknowledged redemption is lost, none is doubled, every quota counter equals its
// redemption rows, and every retried request got the answer it was first given.
// Needs dist/ (npm test builds first).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { mulberry32 } from '../partners/verifier-kit/test-issuer.js';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditKeyring, configureAuditLog } from '../src/modules/audit/index.js';
import { DevIssuer } from '../src/modules/auth/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { PartnerKeyService } from '../src/modules/partner/index.js';
import { TEST_AUDIT_HMAC_KEY } from './support/audit-key.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { loadModules } from '../src/modules/index.js';
import { freePort } from './support/free-port.js';

const MAIN = path.resolve('dist/src/main.js');
const KILLS = 20;
const MEMBERS = 30;
const TOKENS_PER_MEMBER = 6; // CAR_WASH quota is 4: 2 of each member's 6 must be refused
const QUOTA = 4;
const REDEEM = `mutation Redeem($token: String!, $key: String!) {
  redeemEntitlement(token: $token, idempotencyKey: $key) { id units }
}`;



interface Reply {
  status: number;
  body: any;
}

/** One POST on its own connection (no pooled socket survives a killed server). Rejects on any transport failure. */
function post(port: number, body: unknown, bearer?: string, timeoutMs = 15_000): Promise<Reply> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (data += d));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) });
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

interface Server {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

const db: TestDatabase = await createTestDatabase();
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-crash-'));
const port = await freePort();
let current: Server | undefined;

afterAll(async () => {
  // Never leave a server behind, whatever happened.
  if (current && current.child.exitCode === null && current.child.signalCode === null) {
    current.child.kill('SIGKILL');
    await current.exited;
  }
  await db.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<Server> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    PORT: String(port),
    METRICS_PORT: '0',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    // The test process writes an audited change too (the partner key): one key for both.
    AUDIT_HMAC_KEY: TEST_AUDIT_HMAC_KEY,
    // The load is the point here, not the limiter (whose counters restart with each process).
    RATE_LIMIT_PARTNER_MUTATIONS: '1000000',
    RATE_LIMIT_PARTNER_QUERIES: '1000000',
    RATE_LIMIT_MEMBER_MUTATIONS: '1000000',
    RATE_LIMIT_MEMBER_QUERIES: '1000000',
  };
  delete env.PUBLIC_URL;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const server: Server = { child, exited, output: () => output };
  current = server;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 60s:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before the banner:\n${output}`));
    });
  });
  return server;
}

async function gql(query: string, variables: Record<string, unknown>, bearer?: string): Promise<any> {
  const reply = await post(port, { query, variables }, bearer);
  if (reply.body.errors) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(reply.body.errors)}`);
  return reply.body.data;
}

interface Request {
  key: string;
  token: string;
  member: number;
  entitlementId: string;
  /** Redemption id of the first acknowledgement. */
  ackId?: string;
  /** Final coded refusal. */
  refused?: string;
  attempts: number;
}

type Outcome = { kind: 'ack'; id: string } | { kind: 'refused'; code: string } | { kind: 'unanswered'; why: string };

function classify(reply: Reply): Outcome {
  const id = reply.body?.data?.redeemEntitlement?.id;
  if (reply.status === 200 && typeof id === 'string') return { kind: 'ack', id };
  const code = reply.body?.errors?.[0]?.extensions?.code;
  if (reply.status < 500 && (code === 'QUOTA_EXHAUSTED' || code === 'ALREADY_REDEEMED')) return { kind: 'refused', code };
  return { kind: 'unanswered', why: `HTTP ${reply.status} ${code ?? JSON.stringify(reply.body).slice(0, 200)}` };
}

describe('crash safety', () => {
  it('survives 20 SIGKILLs under redemption load: 0 acknowledged redemptions lost, 0 doubled, quota counters equal the rows', async () => {
    const random = mulberry32(0xc0a11710);
    let server = await startServer();
    expect(server.output()).toMatch(/Demo catalog +seeded/);

    // --- Setup, as a developer would with `npm run -s dev:credential`.
    const issuer = await DevIssuer.open({
      dir: path.join(dataDir, 'dev-issuer'),
      audience: 'coalition-gateway',
      roleClaim: 'roles',
      adminRole: 'admin',
      nodeEnv: 'development',
    });
    const orm = await connectOrm({ databaseUrl: db.url, entities: (await loadModules()).entities(), poolSize: 1 });
    configureAuditLog({ keyring: AuditKeyring.of(TEST_AUDIT_HMAC_KEY) });
    let partnerKey: string;
    try {
      partnerKey = (await new PartnerKeyService(orm.em.fork()).create('sparkwash')).key;
    } finally {
      await orm.close();
    }

    const requests: Request[] = [];
    await Promise.all(
      Array.from({ length: MEMBERS }, async (_, m) => {
        const bearer = await issuer.mint(`crash-member-${m}`);
        await gql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "crash-${m}") { id } }`, {}, bearer);
        const me = await gql(`{ me { entitlements { id benefit { code } } } }`, {}, bearer);
        const entitlementId: string = me.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH').id;
        for (let i = 0; i < TOKENS_PER_MEMBER; i++) {
          const issued = await gql(`mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: entitlementId }, bearer);
          requests.push({ key: `crash-m${m}-r${i}`, token: issued.issueEntitlementToken.token, member: m, entitlementId, attempts: 0 });
        }
      }),
    );
    requests.sort((a, b) => a.key.localeCompare(b.key)); // a stable order, whatever the setup interleaving
    for (let i = requests.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [requests[i], requests[j]] = [requests[j]!, requests[i]!];
    }
    expect(requests).toHaveLength(MEMBERS * TOKENS_PER_MEMBER);

    const mismatches: string[] = [];
    const lastFailure = new Map<string, string>();
    /** Sends one attempt of a request (new, retried, or a replay of an acknowledged one) and records its outcome. */
    async function attempt(r: Request): Promise<Outcome> {
      r.attempts++;
      let outcome: Outcome;
      try {
        outcome = classify(await post(port, { query: REDEEM, variables: { token: r.token, key: r.key } }, partnerKey));
      } catch (error) {
        outcome = { kind: 'unanswered', why: (error as Error).message };
      }
      if (outcome.kind === 'ack') {
        if (r.refused) mismatches.push(`${r.key}: refused ${r.refused}, then acknowledged ${outcome.id}`);
        else if (r.ackId && r.ackId !== outcome.id) mismatches.push(`${r.key}: acknowledged ${r.ackId}, then ${outcome.id}`);
        r.ackId ??= outcome.id;
      } else if (outcome.kind === 'refused') {
        if (r.ackId) mismatches.push(`${r.key}: acknowledged ${r.ackId}, then refused ${outcome.code}`);
        else if (r.refused && r.refused !== outcome.code) mismatches.push(`${r.key}: refused ${r.refused}, then ${outcome.code}`);
        r.refused ??= outcome.code;
      } else {
        lastFailure.set(r.key, outcome.why);
      }
      return outcome;
    }
    /** A first request through the gateway to the redemption subgraph (an invalid token: no effect), so the batch meets a warm server. */
    async function warmUp(): Promise<void> {
      const reply = await post(port, { query: REDEEM, variables: { token: 'not.a.token', key: 'warm-up' } }, partnerKey);
      expect(reply.body.errors?.[0]?.extensions?.code).toBe('TOKEN_INVALID');
    }
    const answered = (r: Request) => r.ackId !== undefined || r.refused !== undefined;

    // --- 20 rounds: release a wave of new requests, fire it with every unanswered one (and a
    // few replays of acknowledged ones) at jittered start times, SIGKILL mid-batch.
    const wave = Math.ceil(requests.length / KILLS);
    const kills: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];
    let cutRounds = 0;
    const inDoubt = new Set<string>(); // committed by the server but not acknowledged to the client when it died
    for (let round = 0; round < KILLS; round++) {
      if (!current || current.child.exitCode !== null || current.child.signalCode !== null) server = await startServer();
      await warmUp();
      const released = requests.slice(0, (round + 1) * wave);
      const pending = released.filter((r) => !answered(r));
      const acked = released.filter((r) => r.ackId);
      const replays = Array.from({ length: Math.min(5, acked.length) }, () => acked[Math.floor(random() * acked.length)]!);
      const batch = [...pending, ...replays];
      const jitters = batch.map(() => Math.floor(random() * 600));
      const killAfter = 100 + Math.floor(random() * 900);

      let settled = 0;
      const inFlight = Promise.all(
        batch.map(async (r, i) => {
          await delay(jitters[i]!);
          await attempt(r);
          settled++;
        }),
      );
      await delay(killAfter);
      const cut = settled < batch.length;
      server.child.kill('SIGKILL');
      kills.push(await server.exited);
      await inFlight;
      if (cut && pending.some((r) => !answered(r))) cutRounds++;

      const committed = await db.query<{ idempotency_key: string }>(`select idempotency_key from redemption`);
      const byKey = new Map(requests.map((r) => [r.key, r]));
      for (const row of committed) if (!byKey.get(row.idempotency_key)?.ackId) inDoubt.add(row.idempotency_key);
    }

    // --- The last start: retry until every request is answered, then replay every acknowledged
    // one once more (each must get its first answer again).
    server = await startServer();
    for (let pass = 0; pass < 20 && requests.some((r) => !answered(r)); pass++) {
      if (pass > 0) await delay(250);
      await Promise.all(requests.filter((r) => !answered(r)).map((r) => attempt(r)));
    }
    const unansweredAtEnd = requests.filter((r) => !answered(r)).map((r) => `${r.key}: ${lastFailure.get(r.key)}`);
    expect(unansweredAtEnd).toEqual([]);
    await Promise.all(requests.filter((r) => r.ackId).map((r) => attempt(r)));
    expect(mismatches).toEqual([]);

    const stopped = server.exited;
    server.child.kill('SIGTERM');
    expect(await stopped).toEqual({ code: 0, signal: null });

    // --- The kills were real, and at least one batch was cut with requests still unanswered.
    expect(kills).toHaveLength(KILLS);
    expect(kills.every((k) => k.signal === 'SIGKILL')).toBe(true);
    expect(cutRounds).toBeGreaterThan(0);

    // --- The ledger.
    const rows = await db.query<{ id: string; idempotency_key: string; token_jti: string; entitlement_id: string; units: number }>(
      `select id, idempotency_key, token_jti, entitlement_id, units from redemption`,
    );
    const ackIds = requests.filter((r) => r.ackId).map((r) => r.ackId!);
    const rowIds = new Set(rows.map((row) => row.id));
    // 0 lost: every acknowledged redemption is in the ledger, under the key it was acknowledged for.
    expect(ackIds.filter((id) => !rowIds.has(id))).toEqual([]);
    const rowByKey = new Map(rows.map((row) => [row.idempotency_key, row]));
    for (const r of requests) if (r.ackId) expect(rowByKey.get(r.key)?.id, r.key).toBe(r.ackId);
    // 0 doubled: one row per idempotency key and per token, and no row nobody was told about.
    expect(await db.query(`select idempotency_key, count(*)::int as n from redemption group by 1 having count(*) > 1`)).toEqual([]);
    expect(await db.query(`select token_jti, count(*)::int as n from redemption group by 1 having count(*) > 1`)).toEqual([]);
    expect(rows.length).toBe(ackIds.length);
    expect(new Set(ackIds).size).toBe(ackIds.length);
    // Quota counters equal the redemption rows, never above the quota.
    expect(
      await db.query(
        `select e.id, e.used, e.quota, coalesce(sum(r.units), 0)::int as redeemed
         from entitlement e left join redemption r on r.entitlement_id = e.id
         group by e.id having e.used <> coalesce(sum(r.units), 0) or e.used > coalesce(e.quota, e.used)`,
      ),
    ).toEqual([]);
    // Each member's 6 requests: exactly the quota acknowledged, the rest refused for the quota.
    for (let m = 0; m < MEMBERS; m++) {
      const mine = requests.filter((r) => r.member === m);
      expect({ acked: mine.filter((r) => r.ackId).length, refused: mine.filter((r) => r.refused === 'QUOTA_EXHAUSTED').length }).toEqual({
        acked: QUOTA,
        refused: TOKENS_PER_MEMBER - QUOTA,
      });
      const [ent] = await db.query<{ used: number; quota: number }>(`select used, quota from entitlement where id = $1`, [mine[0]!.entitlementId]);
      expect(ent).toEqual({ used: QUOTA, quota: QUOTA });
    }

    console.log(
      `crash safety: ${KILLS} SIGKILLs, ${cutRounds} batches cut mid-flight, ${inDoubt.size} in-doubt commits recovered by retry, ` +
        `${requests.reduce((n, r) => n + r.attempts, 0)} attempts for ${requests.length} requests`,
    );
  }, 240_000);
});
