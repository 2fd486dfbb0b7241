import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import os from 'node:os';
import path from 'node:path';
import { BUILT_IN_PARTNERS, loadSandboxes } from '../../src/built-in-partners.js';
import { loadMessagingSandbox, MESSAGING_ADAPTER } from '../../src/built-in-messaging.js';
import { loadPaymentSandbox, PAYMENT_ADAPTER } from '../../src/built-in-payments.js';
import { startApp, type RunningApp, type StartAppOptions } from '../../src/runtime/app.js';
import { loadConfig } from '../../src/platform/config.js';
import type { StaffRole } from '../../src/platform/principal.js';
import { createLogger, type Logger } from '../../src/platform/logger.js';
import { TEST_AUDIT_HMAC_KEY } from './audit-key.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  app: RunningApp;
  db: TestDatabase;
  /** The app's DATA_DIR (dev issuer, keys, secrets): commands run against the app need it. */
  dataDir: string;
  /** Where the app keeps its signing keys. */
  keysDir: string;
  /** A member JWT from the dev issuer. */
  memberToken(subject: string): Promise<string>;
  adminToken(subject: string): Promise<string>;
  /** A JWT from the dev issuer carrying these staff roles (their configured claim values). */
  staffToken(subject: string, ...roles: StaffRole[]): Promise<string>;
  /** A fresh partner API key. */
  partnerKey(partnerId: string): Promise<string>;
  /** A new member subscribed to PLUS through the gateway, with its entitlement ids by benefit code. */
  subscribedMember(): Promise<SubscribedMember>;
  /** POSTs a GraphQL operation to the gateway. */
  graphql<T = any, V = any>(
    query: string | TypedDocumentNode<T, V>,
    variables?: V,
    options?: { bearer?: string; headers?: Record<string, string>; url?: string },
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface SubscribedMember {
  bearer: string;
  memberId: string;
  membershipId: string;
  entitlementIds: Record<string, string>;
}

export interface GraphQLResponse<T> {
  status: number;
  /** The result; null when the operation failed (tests then fail on the access, as they should). */
  data: T;
  errors?: Array<{ message: string; path?: (string | number)[]; extensions?: { code?: string; [k: string]: unknown } }>;
}

/** Rate limits out of the way (tests drive hundreds of operations a minute); rate-limit.pg.test.ts sets its own. */
const UNLIMITED = Object.fromEntries(
  ['MEMBER_QUERIES', 'MEMBER_MUTATIONS', 'PARTNER_QUERIES', 'PARTNER_MUTATIONS', 'ANONYMOUS'].map((name) => [`RATE_LIMIT_${name}`, '1000000']),
);

/**
 * The whole app on a fresh database with migrations applied and the demo catalog seeded,
 * its keys in a temp dir, its public port ephemeral: what each integration test file starts.
 * Jobs do not run on their own (tests drive `app.outbox` and the sweeps, so nothing races).
 */
export async function startTestApp(
  overrides: Partial<Omit<StartAppOptions, 'config' | 'databaseUrl' | 'logger'>> & { env?: Record<string, string>; logger?: Logger } = {},
): Promise<TestApp> {
  const { env = {}, logger = createLogger((process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent'), ...appOptions } = overrides;
  const db = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-test-'));
  // The same audit key where commands run against this app look for it (dev:credential, demo).
  await fs.mkdir(path.join(dataDir, 'secrets'), { mode: 0o700 });
  await fs.writeFile(path.join(dataDir, 'secrets', 'audit.key'), `${TEST_AUDIT_HMAC_KEY}\n`, { mode: 0o600 });
  // Production never starts the payment sandbox itself: it gets one configured like a real provider.
  const configuredPayments = env.NODE_ENV === 'production' ? await (await loadPaymentSandbox())({ notifyUrl: 'http://127.0.0.1:9/payments/wechatpay/notify' }) : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    PUBLIC_URL: 'http://issuer.test',
    METRICS_PORT: '0',
    AUDIT_HMAC_KEY: TEST_AUDIT_HMAC_KEY,
    ...UNLIMITED,
    ...configuredPayments?.adapterSettings,
    ...env,
  });
  const app = await startApp({
    config,
    databaseUrl: db.url,
    logger,
    jobs: false,
    partners: BUILT_IN_PARTNERS,
    sandboxes: await loadSandboxes(),
    paymentAdapter: PAYMENT_ADAPTER,
    paymentSandbox: await loadPaymentSandbox(),
    messagingAdapter: MESSAGING_ADAPTER,
    messagingSandbox: await loadMessagingSandbox(),
    ...appOptions,
  });
  const graphql: TestApp['graphql'] = async (query, variables, options = {}) => {
    const response = await fetch(options.url ?? app.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
    });
    const body = (await response.json()) as GraphQLResponse<any>;
    return { ...body, status: response.status };
  };
  return {
    app,
    db,
    dataDir,
    keysDir: config.signingKeysDir,
    memberToken: (subject) => app.devIssuer!.mint(subject),
    adminToken: (subject) => app.devIssuer!.mint(subject, { admin: true }),
    staffToken: (subject, ...roles) => app.devIssuer!.mint(subject, { staffRoles: roles }),
    partnerKey: (partnerId) => app.createPartnerKey(partnerId),
    graphql,
    subscribedMember: async () => {
      const bearer = await app.devIssuer!.mint(`member-${randomUUID()}`);
      const sub = await graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "k") { id } }`, {}, { bearer });
      if (sub.errors) throw new Error(`subscribe failed: ${JSON.stringify(sub.errors)}`);
      const me = await graphql(`{ me { id entitlements { id benefit { code } } } }`, {}, { bearer });
      return {
        bearer,
        memberId: me.data.me.id,
        membershipId: sub.data.subscribe.id,
        entitlementIds: Object.fromEntries(me.data.me.entitlements.map((e: { id: string; benefit: { code: string } }) => [e.benefit.code, e.id])),
      };
    },
    close: async () => {
      await app.close();
      await configuredPayments?.close();
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
