// The production shape for tests: gateways ×2, membership subgraphs ×2 (one behind each
// gateway), the sparkwash and streamflix subgraphs, workers ×2, every one its own Node process
// (the compiled entry points, as `npm run build` leaves them) against one PostgreSQL database and
// one Redis (the gateways' shared rate limits), with the partners' sandboxes configured like real
// partners (PARTNER_<ID>_URL, …) and the payment provider's sandbox. Each process keeps its port
// for the whole run, so one killed with SIGKILL comes back where its peers look for it.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { generateWebhookSecret, type RunningSandbox } from '../../partners/sdk/index.js';
import { startChild, type Child } from '../../bench/processes.js';
import { BUILT_IN_PARTNERS, loadSandboxes } from '../../src/built-in-partners.js';
import { loadPaymentSandbox } from '../../src/built-in-payments.js';
import type { RunningPaymentSandbox } from '../../payments/sdk/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { Closers } from '../../src/runtime/closers.js';
import { openCore } from '../../src/runtime/core.js';
import { openDevIssuer } from '../../src/runtime/keys.js';
import type { DevIssuer } from '../../src/modules/auth/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { TEST_AUDIT_HMAC_KEY } from './audit-key.js';

/** Redis on these machines (and in CI); TEST_REDIS_URL points elsewhere. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const dist = (file: string) => path.resolve('dist/src', file);

/** One process of the shape: its current child, and a fresh start of it on the same port. */
export interface Slot {
  readonly name: string;
  /** The running child (the last one started). */
  readonly child: Child;
  /** Its base URL (stable across restarts: the port is fixed). */
  readonly url: string;
  /** Starts it again after a kill (same port, same settings). */
  restart(): Promise<void>;
}

export interface ProcessesApart {
  db: TestDatabase;
  devIssuer: DevIssuer;
  /** Partner sandboxes by partner id. */
  sandboxes: Map<string, RunningSandbox>;
  /** Gateway i sends membership fields to membership subgraph i. */
  gateways: [Slot, Slot];
  memberships: [Slot, Slot];
  /** Worker 1 receives the partners' signed acknowledgements and the payment notifications. */
  workers: [Slot, Slot];
  /** The Redis the gateways count rate limits in, and this run's key prefix there. */
  redis: { url: string; prefix: string };
  /** Every process of the shape that is running now. */
  running(): Child[];
  close(): Promise<void>;
}

/**
 * Starts the shape. `rateLimits` overrides budgets (`RATE_LIMIT_*` without the prefix, e.g.
 * `PARTNER_QUERIES`); every other budget is out of the way. Fails at once, naming it, when Redis
 * does not answer: the shared limits are part of what is tested.
 */
export async function startProcessesApart(options: { rateLimits?: Record<string, string> } = {}): Promise<ProcessesApart> {
  const redis = { url: TEST_REDIS_URL, prefix: `coalition-test:apart:${randomUUID()}` };
  await pingRedis(redis.url);

  const db = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-apart-'));
  /** Every start, finished or not: a start that fails lets its siblings finish theirs, and close() stops them too. */
  const starts: Array<Promise<Child>> = [];
  const children: Child[] = [];
  const sandboxes = new Map<string, RunningSandbox>();
  let paymentSandbox: RunningPaymentSandbox | undefined;
  const close = async () => {
    await Promise.allSettled(starts);
    await Promise.all(children.map((c) => c.stop()));
    await Promise.all([...sandboxes.values()].map((s) => s.close()));
    await paymentSandbox?.close();
    await db.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
    await deleteRedisKeys(redis.url, redis.prefix);
  };
  try {
    const budgets = ['MEMBER_QUERIES', 'MEMBER_MUTATIONS', 'PARTNER_QUERIES', 'PARTNER_MUTATIONS', 'ANONYMOUS'];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      PUBLIC_URL: 'http://issuer.test',
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      SUBGRAPH_PORT: '0',
      SUBGRAPH_SECRET: randomBytes(32).toString('base64url'),
      PSEUDONYM_SECRET: randomBytes(32).toString('base64url'),
      AUDIT_HMAC_KEY: TEST_AUDIT_HMAC_KEY,
      REDIS_URL: redis.url,
      RATE_LIMIT_KEY_PREFIX: redis.prefix,
      ...Object.fromEntries(budgets.map((n) => [`RATE_LIMIT_${n}`, options.rateLimits?.[n] ?? '1000000'])),
    };
    // What an operator prepares once: the schema, the demo catalog, the keys every process shares.
    const config = loadConfig(env);
    const closers = new Closers(createLogger('silent'));
    await openCore({ config, databaseUrl: db.url, logger: createLogger('silent'), partners: BUILT_IN_PARTNERS }, closers);
    await closers.closeAll();
    const devIssuer = (await openDevIssuer(config))!;

    // Fixed ports: a process started again after a kill is found where it was.
    const [gatewayPorts, membershipPorts, workerPorts] = [await ports(2), await ports(2), await ports(2)];
    // The partners, configured like real ones; their acknowledgements go to the first worker's port.
    paymentSandbox = await (await loadPaymentSandbox())({ notifyUrl: `http://127.0.0.1:${workerPorts[0]}/payments/wechatpay/notify` });
    Object.assign(env, paymentSandbox.adapterSettings);
    const available = await loadSandboxes();
    for (const partner of BUILT_IN_PARTNERS) {
      const callbackSecret = generateWebhookSecret();
      const sandbox = await available.get(partner.id)!.start({
        acknowledgeUrl: `http://127.0.0.1:${workerPorts[0]}/partners/${partner.id}/events`,
        acknowledgeSecrets: [callbackSecret],
      });
      sandboxes.set(partner.id, sandbox);
      const prefix = `PARTNER_${partner.id.toUpperCase()}`;
      env[`${prefix}_URL`] = sandbox.url;
      env[`${prefix}_API_KEY`] = sandbox.apiKey;
      env[`${prefix}_CALLBACK_SECRETS`] = callbackSecret;
      if (sandbox.webhookSecrets?.length) env[`${prefix}_WEBHOOK_SECRETS`] = sandbox.webhookSecrets.join(',');
    }

    const start = async (name: string, script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const child = startChild({ name, script, args, env: { ...env, ...extra }, ready: /listening on (\S+)/, timeoutMs: 90_000 }).then((c) => {
        children.push(c);
        return c;
      });
      starts.push(child);
      return child;
    };
    const slot = async (name: string, launch: () => Promise<Child>, url: (child: Child) => string): Promise<Slot> => {
      let child = await launch();
      return {
        name,
        get child() {
          return child;
        },
        url: url(child),
        async restart() {
          if (!child.exited()) throw new Error(`${name} is still running (pid ${child.pid})`);
          child = await launch();
        },
      };
    };
    const [memberships, [sparkwash, streamflix]] = await Promise.all([
      Promise.all(
        membershipPorts.map((port, i) => {
          const name = `membership ${'AB'[i]}`;
          return slot(name, () => start(name, dist('subgraph-main.js'), ['membership'], { SUBGRAPH_PORT: String(port) }), (c) => c.url);
        }),
      ) as Promise<[Slot, Slot]>,
      Promise.all([start('sparkwash', dist('subgraph-main.js'), ['sparkwash']), start('streamflix', dist('subgraph-main.js'), ['streamflix'])]),
    ]);
    const workers = (await Promise.all(
      workerPorts.map((port, i) =>
        slot(`worker ${i + 1}`, () => start(`worker ${i + 1}`, dist('worker-main.js'), [], { WORKER_PORT: String(port), WORKER_HOST: '127.0.0.1' }), (c) => c.url),
      ),
    )) as [Slot, Slot];
    const partnerSubgraphs = `sparkwash=${sparkwash.url},streamflix=${streamflix.url}`;
    const gateways = (await Promise.all(
      memberships.map((membership, i) =>
        slot(
          `gateway ${i + 1}`,
          () => start(`gateway ${i + 1}`, dist('gateway-main.js'), [], { PORT: String(gatewayPorts[i]), SUBGRAPHS: `membership=${membership.url},${partnerSubgraphs}` }),
          (c) => c.url.replace(/\/graphql$/, ''),
        ),
      ),
    )) as [Slot, Slot];
    return {
      db,
      devIssuer,
      sandboxes,
      gateways,
      memberships,
      workers,
      redis,
      running: () => children.filter((c) => !c.exited()),
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * `n` loopback ports free now, below the kernel's ephemeral range (32768 and up on Linux): a port
 * handed out for port 0 or as an outgoing connection's source (this machine makes thousands) can
 * never take one of them between now and the process's start, or while a killed one restarts.
 */
async function ports(n: number): Promise<number[]> {
  const taken: number[] = [];
  while (taken.length < n) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.includes(port) && (await isFree(port))) taken.push(port);
  }
  return taken;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function pingRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
  let cause: unknown;
  redis.on('error', (error: unknown) => (cause ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${url} (${((cause ?? error) as Error).message}): the processes-apart suite needs it for the gateways' shared rate limits. Start Redis there or set TEST_REDIS_URL.`,
    );
  } finally {
    redis.disconnect();
  }
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
