// Everything the benchmark runs against: a fresh database, the whole app, subscribed members.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { startApp, type RunningApp } from '../src/server/app.js';
import { loadConfig } from '../src/shared/config.js';
import { createLogger } from '../src/shared/logger.js';

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

/** The first port from `start` nobody listens on. */
async function freePort(start: number): Promise<number> {
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

export interface BenchApp {
  app: RunningApp;
  close(): Promise<void>;
}

export async function startBenchApp(databaseUrl: string): Promise<BenchApp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-bench-'));
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  try {
    const app = await startApp({ config, databaseUrl, logger: createLogger('silent') });
    return {
      app,
      close: async () => {
        await app.close();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
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
