// What the benchmark stands on: a fresh database (migrated, demo catalog seeded), the shared
// DATA_DIR the processes read their keys from, and small HTTP helpers.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/platform/db/embedded-postgres.js';
import type { DevIssuer } from '../src/modules/auth/index.js';
import { PartnerKeyService } from '../src/modules/partner/index.js';
import { BUILT_IN_PARTNERS, loadSandboxes } from '../src/built-in-partners.js';
import { loadPaymentSandbox } from '../src/built-in-payments.js';
import type { RunningSandbox } from '../partners/sdk/index.js';
import type { RunningPaymentSandbox } from '../payments/sdk/index.js';
import { Closers } from '../src/runtime/closers.js';
import { openCore } from '../src/runtime/core.js';
import { openDevIssuer } from '../src/runtime/keys.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';

export interface BenchDatabase {
  url: string;
  /** Where it came from, for the report. */
  source: string;
  close(): Promise<void>;
}

/** A fresh `bench_<random>` database on DATABASE_URL's server, else on an embedded PostgreSQL. */
export async function createBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  let embedded: RunningPostgres | undefined;
  let adminUrl: string;
  let source: string;
  const configured = process.env.DATABASE_URL;
  if (configured) {
    const url = new URL(configured);
    url.pathname = '/postgres';
    adminUrl = url.toString();
    source = `DATABASE_URL server ${url.host}`;
  } else {
    const port = await freePort(Number(process.env.BENCH_PG_PORT ?? 54340));
    const dataDir = path.join(os.tmpdir(), 'coalition-bench-pg');
    log(`starting embedded PostgreSQL on 127.0.0.1:${port} (data in ${dataDir})…`);
    embedded = await startEmbeddedPostgres({ dataDir, port });
    adminUrl = embedded.adminUrl;
    source = `embedded PostgreSQL 127.0.0.1:${port}`;
  }
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    // The embedded server is the bench's own: drop what an interrupted run left behind.
    if (embedded) await dropStaleBenchDatabases(adminUrl, log);
    await admin(`create database ${pg.escapeIdentifier(name)}`);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    source: `${source}, database ${name}`,
    close: async () => {
      try {
        await admin(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await embedded?.stop();
      }
    },
  };
}

async function dropStaleBenchDatabases(adminUrl: string, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`select datname from pg_database where datname like 'bench\\_%'`);
    for (const { datname } of rows) {
      log(`dropping ${datname}, left by an interrupted run`);
      await client.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
    }
  } finally {
    await client.end();
  }
}

/** The first port from `start` nobody listens on. */
export async function freePort(start: number): Promise<number> {
  for (let port = start; port < start + 50; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`No free port in ${start}..${start + 49}; set BENCH_PG_PORT or DATABASE_URL`);
}

export interface BenchState {
  /** The DATA_DIR every process shares (signing keys, pseudonym secret, dev-issuer key). */
  dataDir: string;
  /** The payment provider's sandbox (in this process), configured in `env` like a real provider. */
  paymentSandbox: RunningPaymentSandbox;
  /** The port the worker's notifications and partner callbacks go to (`WORKER_PORT` in `env`). */
  workerPort: number;
  /** Environment for every child process (membership, sparkwash, both gateways). */
  env: NodeJS.ProcessEnv;
  /** Mints member JWTs the membership subgraph process accepts (same DATA_DIR). */
  devIssuer: DevIssuer;
  /** A partner API key for `partnerId`, created while the database was prepared. */
  partnerKey: string;
  close(): Promise<void>;
}

/**
 * Prepares what the processes share, before any of them starts: migrations and the demo
 * catalog on the bench database, and the keys under one fresh DATA_DIR (created here once,
 * so the child processes never race to create them). Creates one partner API key.
 */
export async function prepareBenchState(databaseUrl: string, partnerId: string): Promise<BenchState> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-bench-'));
  // The partners' and the payment provider's sandboxes run in this process, configured in every
  // child like real ones (a worker needs every partner, and subscriptions are confirmed to it).
  const workerPort = await freePort(Number(process.env.BENCH_WORKER_PORT ?? 54360));
  const sandboxes: RunningSandbox[] = [];
  const partnerEnv: Record<string, string> = {};
  for (const [id, sandbox] of await loadSandboxes()) {
    const running = await sandbox.start({ host: '127.0.0.1', port: 0 });
    sandboxes.push(running);
    const prefix = `PARTNER_${id.toUpperCase()}`;
    partnerEnv[`${prefix}_URL`] = running.url;
    partnerEnv[`${prefix}_API_KEY`] = running.apiKey;
    if (running.webhookSecrets?.length) partnerEnv[`${prefix}_WEBHOOK_SECRETS`] = running.webhookSecrets.join(',');
  }
  const paymentSandbox = await (await loadPaymentSandbox())({ host: '127.0.0.1', port: 0, notifyUrl: `http://127.0.0.1:${workerPort}/payments/wechatpay/notify` });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: 'http://localhost:4000',
    ...partnerEnv,
    ...paymentSandbox.adapterSettings,
    WORKER_HOST: '127.0.0.1',
    WORKER_PORT: String(workerPort),
    HOST: '127.0.0.1',
    PORT: '0',
    SUBGRAPH_HOST: '127.0.0.1',
    SUBGRAPH_PORT: '0',
    // Every process (subgraphs, both gateways) signs or checks subgraph requests with it.
    SUBGRAPH_SECRET: randomBytes(32).toString('base64url'),
    // The load comes from a handful of callers at thousands of operations a second: the
    // limiter still runs (its cost is part of the figure), its budgets never refuse.
    RATE_LIMIT_MEMBER_QUERIES: '1000000000',
    RATE_LIMIT_MEMBER_MUTATIONS: '1000000000',
    RATE_LIMIT_PARTNER_QUERIES: '1000000000',
    RATE_LIMIT_PARTNER_MUTATIONS: '1000000000',
    RATE_LIMIT_ANONYMOUS: '1000000000',
  };
  delete env.BENCH_SPEC;
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const logger = createLogger('silent');
  const closers = new Closers(logger);
  try {
    const core = await openCore({ config, databaseUrl, logger, partners: BUILT_IN_PARTNERS, migrate: true, seed: true }, closers);
    const { key: partnerKey } = await new PartnerKeyService(core.orm.em.fork()).create(partnerId);
    await closers.closeAll();
    const devIssuer = await openDevIssuer(config);
    if (!devIssuer) throw new Error('no dev issuer (NODE_ENV=production?)');
    // Removed at exit too, should the process end before the orderly cleanup (a signal).
    const removeAtExit = () => rmSync(dataDir, { recursive: true, force: true });
    process.on('exit', removeAtExit);
    return {
      dataDir,
      paymentSandbox,
      workerPort,
      env,
      devIssuer,
      partnerKey,
      close: async () => {
        process.off('exit', removeAtExit);
        await Promise.all([...sandboxes.map((s) => s.close()), paymentSandbox.close()]);
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await closers.closeAll();
    await Promise.all([...sandboxes.map((s) => s.close()), paymentSandbox.close()]);
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export interface GraphQLResult<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** POSTs one operation; throws on a non-2xx status or GraphQL errors. */
export async function graphql<T>(url: string, bearer: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLResult<T>;
  try {
    body = JSON.parse(text) as GraphQLResult<T>;
  } catch {
    throw new Error(`HTTP ${response.status} from ${url}: ${text.slice(0, 300)}`);
  }
  if (!response.ok || body.errors?.length || !body.data) {
    throw new Error(`HTTP ${response.status} from ${url}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  }
  return body.data;
}

/** Runs `work` over `count` indexes with at most `concurrency` at a time. */
export async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A progress line: rewritten in place on a terminal, every `step` items otherwise. */
export function progress(label: string, total: number, step = Math.max(1, Math.ceil(total / 4))) {
  const tty = process.stdout.isTTY;
  let done = 0;
  const started = Date.now();
  return {
    tick() {
      done++;
      if (tty) process.stdout.write(`\r${label} ${done}/${total}`);
      else if (done % step === 0 && done !== total) console.log(`${label} ${done}/${total}`);
      if (done === total) {
        const line = `${label} ${done}/${total} (${((Date.now() - started) / 1000).toFixed(1)}s)`;
        if (tty) process.stdout.write(`\r${line}\n`);
        else console.log(line);
      }
    },
  };
}

const RECORD_ACTIVITY = 'mutation Record($input: ActivityInput!) { recordActivity(input: $input) { id } }';

/** Six purchases a member (subjects `subjectPrefix` + index), over the last months (lots, qualifying months, a tier for the larger spenders), recorded by an admin. */
export async function recordLoyaltyHistory(
  databaseUrl: string,
  gatewayUrl: string,
  issuer: { mint(subject: string, options?: { admin?: boolean }): Promise<string> },
  count: number,
  subjectPrefix = 'bench-member-',
): Promise<void> {
  const admin = await issuer.mint('bench-admin', { admin: true });
  // The members joined a year ago (activities before joining are refused).
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`update member set created_at = now() - interval '400 days' where subject like $1`, [`${subjectPrefix}%`]);
  await client.end();
  const bar = progress('recording members\' purchases (loyalty history)…', count);
  await pool(count, 8, async (i) => {
    const bearer = await issuer.mint(`${subjectPrefix}${i}`);
    const { me } = await graphql<{ me: { id: string } }>(gatewayUrl, bearer, '{ me { id } }');
    for (let k = 0; k < 6; k++) {
      const occurredAt = new Date(Date.now() - (k * 30 + 1) * 86_400_000).toISOString();
      await graphql(gatewayUrl, admin, RECORD_ACTIVITY, {
        input: { memberId: me.id, type: 'PURCHASE', channel: 'app', externalId: `bench-${i}-${k}`, amount: { amount: 20_000 + (i % 10) * 30_000, currency: 'CNY' }, occurredAt },
      });
    }
    bar.tick();
  });
}
