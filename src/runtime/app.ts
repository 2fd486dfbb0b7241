import path from 'node:path';
import { print } from 'graphql';
import type { MikroORM } from '@mikro-orm/postgresql';
import { partnerAdapters, startPartnerSubgraph, type PartnerAdapter, type PartnerProvisioning, type RunningSandbox } from '../../partners/index.js';
import { Authenticator, DevIssuer, type IdentityTokenVerifier } from '../modules/auth/index.js';
import { connectOrm, migrateUp, migrationsApplied } from '../platform/db/orm.js';
import { sweepEntitlementPeriods } from '../modules/entitlement/index.js';
import { JobScheduler } from '../platform/jobs.js';
import { MemberDirectory } from '../modules/member/index.js';
import { DevPaymentProvider, type PaymentProvider } from '../modules/membership/index.js';
import { PartnerKeyService } from '../modules/partner/index.js';
import { OutboxWorker } from '../modules/provisioning/outbox-worker.js';
import { PartnerEventReceiver } from '../modules/provisioning/partner-events.js';
import { reconcilePartner, type ReconciliationReport } from '../modules/provisioning/reconciliation.js';
import { SYSTEM_AUDIT, type AuditContext } from '../modules/audit/index.js';
import { AppError } from '../platform/errors.js';
import { generateWebhookSecret } from '../../partners/webhook-signature.js';
import type { GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { seedDemoCatalog, type SeedSummary } from '../seed/demo-catalog.js';
import type { AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import {
  EntitlementTokenSigner,
  EntitlementTokenVerifier,
  AesGcmKeyEncryption,
  FileSigningKeyStore,
  issuerMetadata,
  jwksCacheControl,
  jwksDocument,
  loadPseudonymSecret,
  MemberPseudonymizer,
  StatusLists,
  StatusListTokenSigner,
  type FileSigningKeyStoreOptions,
  type SigningKeyStore,
} from '../modules/token/index.js';
import { createGateway } from '../edge/gateway.js';
import { startMembershipSubgraph } from '../hosting/membership-subgraph.js';
import { Metrics, startMetricsServer } from '../edge/metrics.js';
import { startPublicServer, type StatusListRoutes } from '../edge/public-server.js';
import { cachedMemberIdentities, createRateLimiter } from '../edge/rate-limit.js';
import type { AppDependencies } from '../hosting/request-scope.js';
import { loadSubgraphSecret } from '../hosting/subgraph-signature.js';
import { loadPersistedOperations } from '../edge/persisted-operations.js';
import { SupergraphSource } from '../composition/supergraph-source.js';
import type { SubgraphDefinition } from '../composition/supergraph.js';

export interface StartAppOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  /** Apply pending migrations at start. @default true */
  migrate?: boolean;
  /** Seed the demo catalog when the database has none. @default true */
  seed?: boolean;
  payments?: PaymentProvider;
  now?: () => Date;
  /** Called with every SQL statement the app runs (tests count them). */
  onQuery?: (sql: string) => void;
  /** Run the in-process jobs (entitlement periods). @default true */
  jobs?: boolean;
}

export interface RunningApp {
  /** Base URL of the public port, e.g. http://127.0.0.1:4000 */
  url: string;
  graphqlUrl: string;
  /** Prometheus metrics, on their own port (`METRICS_PORT`), never the public one. */
  metricsUrl: string;
  orm: MikroORM;
  deps: AppDependencies;
  subgraphs: SubgraphDefinition[];
  sandboxes: Map<string, RunningSandbox>;
  seed: SeedSummary | null;
  /** The dev issuer (absent in production) for minting member and admin credentials. */
  devIssuer: DevIssuer | undefined;
  /** Delivers provisioning events (runs as a job; tests drive it directly). */
  outbox: OutboxWorker;
  provisioning: Map<string, PartnerProvisioning>;
  /** Secrets each partner signs its events to us with (sandbox ones generated at start). */
  partnerCallbackSecrets: ReadonlyMap<string, string[]>;
  /** Creates a partner API key (shown once). */
  createPartnerKey(partnerId: string): Promise<string>;
  close(): Promise<void>;
}

export interface Core {
  orm: MikroORM;
  deps: AppDependencies;
  authenticator: Authenticator;
  keyStore: SigningKeyStore;
  devIssuer: DevIssuer | undefined;
  seed: SeedSummary | null;
}

/**
 * What the membership subgraph stands on: the database (migrated, demo catalog seeded
 * when empty), the signing keys, the pseudonym secret and the credential checks.
 */
export async function openCore(options: StartAppOptions, closers: Closers): Promise<Core> {
  const { config, logger } = options;
  const orm = await connectOrm({ databaseUrl: options.databaseUrl, ...(options.onQuery ? { onQuery: options.onQuery } : {}) });
  closers.push(() => orm.close(), 'database connections');
  if (options.migrate ?? true) {
    const applied = await migrateUp(orm);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  }
  const seed = (options.seed ?? true) ? await seedDemoCatalog(orm.em.fork()) : null;

  const keyStore = await FileSigningKeyStore.open(config.signingKeysDir, signingKeyStoreOptions(config, logger, options.now));
  const pseudonymSecret = await loadPseudonymSecret({ secret: config.pseudonymSecret, file: config.pseudonymSecretFile });
  const clock = options.now ? { now: options.now } : {};
  const deps: AppDependencies = {
    timeZone: config.timeZone,
    provisionedPartners: partnerAdapters.map((a) => a.id),
    redemptionVoidWindowSeconds: config.redemptionVoidWindowSeconds,
    payments: options.payments ?? new DevPaymentProvider(),
    signer: new EntitlementTokenSigner({ issuer: config.publicUrl, keyStore, ttlSeconds: config.tokenTtlSeconds, ...clock }),
    verifier: new EntitlementTokenVerifier({ issuer: config.publicUrl, keyStore, ...clock }),
    pseudonyms: new MemberPseudonymizer(pseudonymSecret),
    statusLists: statusListsOf(config, keyStore, options.now),
    ...clock,
  };
  const devIssuer = await openDevIssuer(config);
  const members = new MemberDirectory(() => orm.em.fork());
  const authenticator = new Authenticator({
    issuers: Authenticator.issuersFor(config.auth, devIssuer?.publicKey),
    audience: config.auth.audience,
    roleClaim: config.auth.roleClaim,
    adminRole: config.auth.adminRole,
    resolveMember: (issuer, subject) => members.memberIdFor(issuer, subject),
    resolvePartnerKey: (hash) => new PartnerKeyService(orm.em.fork()).resolve(hash),
  });
  return { orm, deps, authenticator, keyStore, devIssuer, seed };
}

function statusListRoutes(lists: StatusLists, orm: MikroORM): StatusListRoutes {
  return {
    index: () => lists.index(orm.em.fork()),
    aggregation: (partnerId) => lists.aggregation(orm.em.fork(), partnerId),
    publish: (partnerId, ordinal) => lists.publish(orm.em.fork(), partnerId, ordinal),
  };
}

/** The partners' token status lists, signed with the entitlement token keys. */
export function statusListsOf(config: AppConfig, keyStore: SigningKeyStore, now?: () => Date): StatusLists {
  return new StatusLists({
    issuer: config.publicUrl,
    capacity: config.statusListCapacity,
    ttlSeconds: config.statusListTtlSeconds,
    signer: new StatusListTokenSigner(config.publicUrl, keyStore),
    ...(now ? { now } : {}),
  });
}

/**
 * How this process opens the signing keys: sealed at rest under `SIGNING_KEYS_ENCRYPTION_KEY`
 * when set, schedule decisions by the app's clock, re-read failures logged.
 */
export function signingKeyStoreOptions(config: AppConfig, logger: Logger, now?: () => Date): FileSigningKeyStoreOptions {
  return {
    ...(now ? { now } : {}),
    ...(config.signingKeysEncryptionKey ? { encryption: new AesGcmKeyEncryption(config.signingKeysEncryptionKey) } : {}),
    onReloadError: (error) => logger.error({ err: error }, 'signing key manifest re-read failed; serving the keys already loaded'),
  };
}

/** The dev issuer outside production (it mints member and admin JWTs); undefined in production. */
export async function openDevIssuer(config: AppConfig): Promise<DevIssuer | undefined> {
  if (config.nodeEnv === 'production') return undefined;
  return DevIssuer.open({
    dir: path.join(config.dataDir, 'dev-issuer'),
    audience: config.auth.audience,
    roleClaim: config.auth.roleClaim,
    adminRole: config.auth.adminRole,
    nodeEnv: config.nodeEnv,
  });
}

export interface RunningPartners {
  subgraphs: SubgraphDefinition[];
  sandboxes: Map<string, RunningSandbox>;
  /** Provisioning on each partner's side, by partner id. */
  provisioning: Map<string, PartnerProvisioning>;
  /** Secrets each partner signs its events to us with, by partner id. */
  callbackSecrets: Map<string, string[]>;
}

/** One subgraph per adapter under partners/ (and its sandbox partner outside production), on loopback. */
export async function startPartnerSubgraphs(
  config: AppConfig,
  closers: Closers,
  options: { only?: string; port?: number; callbackBaseUrl?: string; logger?: Logger } = {},
): Promise<RunningPartners> {
  const { only, port } = options;
  const secret = await subgraphSecretOf(config);
  const subgraphs: SubgraphDefinition[] = [];
  const sandboxes = new Map<string, RunningSandbox>();
  const provisioning = new Map<string, PartnerProvisioning>();
  const callbackSecrets = new Map<string, string[]>();
  for (const adapter of partnerAdapters as PartnerAdapter[]) {
    if (only && adapter.id !== only) continue;
    const partner = await partnerEndpoint(adapter, config, options.callbackBaseUrl);
    if (partner.callbackSecrets.length) callbackSecrets.set(adapter.id, partner.callbackSecrets);
    if (partner.sandbox) {
      sandboxes.set(adapter.id, partner.sandbox);
      closers.push(() => partner.sandbox!.close(), `${adapter.id} sandbox`);
    }
    const client = adapter.createClient({
      baseUrl: partner.baseUrl,
      apiKey: partner.apiKey,
      ...(partner.webhookSecrets.length ? { webhookSecrets: partner.webhookSecrets } : {}),
    });
    provisioning.set(adapter.id, adapter.provisioning(client));
    const subgraph = await startPartnerSubgraph(adapter, {
      client,
      secret,
      ...(options.logger ? { logger: options.logger } : {}),
      exposeStackTraces: config.nodeEnv === 'development',
      ...(port !== undefined ? { port } : {}),
    });
    closers.push(() => subgraph.close(), `${adapter.id} subgraph`);
    subgraphs.push({ name: adapter.id, url: subgraph.url, typeDefs: print(adapter.typeDefs) });
  }
  return { subgraphs, sandboxes, provisioning, callbackSecrets };
}

export interface PublicPortOptions {
  config: AppConfig;
  logger: Logger;
  keyStore: SigningKeyStore;
  /** Problems that make the process not ready (empty when ready). */
  readiness: () => Promise<string[]>;
  /** Receives partners' signed events, when this process handles them. */
  partnerEvents?: PartnerEventReceiver;
  /** Serves the token status lists, when this process can read the database. */
  statusLists?: { lists: StatusLists; orm: MikroORM };
  /** Verifies member JWTs before the rate limiter buckets them. */
  identityTokens: IdentityTokenVerifier;
}

export interface PublicPort {
  /** Bound base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  /** Prometheus `/metrics` on the metrics port, e.g. http://127.0.0.1:9464/metrics */
  metricsUrl: string;
  /**
   * Composes `subgraphs` (plus partners' registered ones, when `orm` is given) and starts
   * serving /graphql (503 until then). Returns a function that recomposes at once.
   */
  serve(subgraphs: SubgraphDefinition[], orm?: MikroORM): Promise<() => Promise<void>>;
}

/**
 * The public port: bound first (partners need its address for their callbacks), serving
 * the supergraph once `serve` is called, plus the issuer documents, health and metrics.
 */
export async function openPublicPort(options: PublicPortOptions, closers: Closers): Promise<PublicPort> {
  const { config, logger } = options;
  const metrics = new Metrics();
  let gateway: GatewayRuntime | undefined;
  const server = await startPublicServer(
    {
      gateway: () => gateway,
      metrics,
      jwks: () => jwksDocument(options.keyStore),
      jwksCacheControl: jwksCacheControl(config.signingKeyRotationLeadSeconds),
      issuerMetadata: () => issuerMetadata(config.publicUrl, { tokenTtlSeconds: config.tokenTtlSeconds }),
      readiness: async () => [...(gateway ? [] : ['gateway starting']), ...(await options.readiness())],
      ...(options.partnerEvents
        ? { partnerEvents: (id, body, headers) => options.partnerEvents!.receive(id, body, headers) }
        : {}),
      ...(options.statusLists ? { statusLists: statusListRoutes(options.statusLists.lists, options.statusLists.orm) } : {}),
    },
    { host: config.host, port: config.port },
  );
  closers.pushFirst(() => server.close(), 'public server');
  const metricsServer = await startMetricsServer(metrics, { host: config.metricsHost, port: config.metricsPort });
  closers.push(() => metricsServer.close(), 'metrics server');
  const subgraphSecret = await subgraphSecretOf(config);
  return {
    url: `http://127.0.0.1:${server.port}`,
    metricsUrl: metricsServer.url,
    async serve(subgraphs, orm) {
      const source = new SupergraphSource(subgraphs, orm, logger);
      const ours = new Set(subgraphs.map((s) => s.url));
      await source.refresh();
      // Closed after the gateway (closers run last-in first-out): no operation is left to count.
      const limiter = createRateLimiter({ ...config.rateLimit, redisUrl: config.redisUrl }, logger);
      closers.push(() => limiter.close(), 'rate-limit store');
      await limiter.ready();
      const persistedOperations = config.persistedOperationsFile
        ? { operations: await loadPersistedOperations(config.persistedOperationsFile), only: config.persistedOperationsOnly }
        : undefined;
      const runtime = createGateway({
        ...(persistedOperations ? { persistedOperations } : {}),
        supergraph: () => source.current(),
        logger,
        metrics,
        graphiql: config.nodeEnv === 'development',
        corsOrigins: config.corsOrigins,
        development: config.nodeEnv === 'development',
        rateLimit: {
          limiter,
          windowSeconds: config.rateLimit.windowSeconds,
          trustProxy: config.trustProxy,
          identities: cachedMemberIdentities(options.identityTokens),
        },
        limits: config.graphqlLimits,
        introspection: config.nodeEnv !== 'production',
        subgraphSecret,
        // Partners' own registered subgraphs are third parties: they never get our signature.
        signs: (url) => ours.has(url),
      });
      const recompose = async () => {
        if (await source.refresh()) runtime.invalidateUnifiedGraph();
      };
      // Other replicas register subgraphs too: converge within a few seconds.
      const poll = setInterval(() => void recompose().catch((error: unknown) => logger.error({ err: error }, 'supergraph refresh failed')), 5000);
      poll.unref();
      closers.push(async () => {
        clearInterval(poll);
        await runtime.dispose();
      }, 'gateway');
      gateway = runtime;
      return recompose;
    },
  };
}

/** Shutdown steps, run last-in first-out. */
export class Closers {
  private readonly steps: Array<() => Promise<void>> = [];

  constructor(private readonly logger: Logger) {}

  private readonly first: Array<() => Promise<void>> = [];

  push(step: () => Promise<void>, name = 'step'): void {
    this.steps.push(Object.assign(step, { stepName: name }));
  }

  /** A step that runs before all others (stop accepting requests before anything behind them). */
  pushFirst(step: () => Promise<void>, name = 'step'): void {
    this.first.push(Object.assign(step, { stepName: name }));
  }

  async closeAll(): Promise<void> {
    this.steps.push(...this.first.splice(0));
    while (this.steps.length) {
      const step = this.steps.pop()! as (() => Promise<void>) & { stepName?: string };
      this.logger.debug({ step: step.stepName }, 'closing');
      await step().catch((error: unknown) => this.logger.error({ err: error, step: step.stepName }, 'shutdown step failed'));
    }
  }
}

/**
 * Starts the whole process tree: database connection and migrations, the membership
 * subgraph and one subgraph per partner adapter on loopback ports, the sandbox partner
 * servers, and the gateway on the public port.
 */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const closers = new Closers(options.logger);
  try {
    const core = await openCore(options, closers);
    const { orm } = core;
    const callbackSecrets = new Map<string, string[]>();
    const publicPort = await openPublicPort(
      {
        config: options.config,
        logger: options.logger,
        keyStore: core.keyStore,
        readiness: () => databaseReadiness(orm),
        partnerEvents: new PartnerEventReceiver(orm, callbackSecrets, options.logger),
        statusLists: { lists: core.deps.statusLists, orm },
        identityTokens: core.authenticator.tokens,
      },
      closers,
    );
    const membership = await startMembershipSubgraph({
      orm,
      authenticator: core.authenticator,
      deps: core.deps,
      development: options.config.nodeEnv === 'development',
      secret: await subgraphSecretOf(options.config),
      logger: options.logger,
    });
    closers.push(() => membership.close(), 'membership subgraph');
    const partners = await startPartnerSubgraphs(options.config, closers, { callbackBaseUrl: publicPort.url, logger: options.logger });
    for (const [id, secrets] of partners.callbackSecrets) callbackSecrets.set(id, secrets);
    const outbox = new OutboxWorker(orm, {
      targets: partners.provisioning,
      pseudonyms: core.deps.pseudonyms,
      logger: options.logger,
      ...(options.now ? { now: options.now } : {}),
    });
    const reconcile = async (partnerId: string, audit: AuditContext): Promise<ReconciliationReport> => {
      const target = partners.provisioning.get(partnerId);
      if (!target) throw AppError.notFound('Partner', partnerId);
      const report = await reconcilePartner(orm, partnerId, target, { audit, ...(options.now ? { now: options.now() } : {}) });
      if (report.fixed.length || report.unreadable) options.logger.warn({ report }, 'reconciliation repaired drift');
      return report;
    };
    core.deps.partnerOperations = { reconcile };
    if (options.jobs ?? true) startJobs(core, outbox, options, closers);
    const subgraphs = [{ name: 'membership', url: membership.url, typeDefs: membership.typeDefs }, ...partners.subgraphs];
    core.deps.onSubgraphsChanged = await publicPort.serve(subgraphs, orm);
    const url = publicPort.url;
    return {
      url,
      graphqlUrl: `${url}/graphql`,
      metricsUrl: publicPort.metricsUrl,
      orm,
      deps: core.deps,
      subgraphs,
      sandboxes: partners.sandboxes,
      seed: core.seed,
      devIssuer: core.devIssuer,
      outbox,
      provisioning: partners.provisioning,
      partnerCallbackSecrets: callbackSecrets,
      createPartnerKey: async (partnerId) => (await new PartnerKeyService(orm.em.fork()).create(partnerId)).key,
      close: () => closers.closeAll(),
    };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

/** The in-process workers on PostgreSQL. */
export function startJobs(core: Core, outbox: OutboxWorker, options: StartAppOptions, closers: Closers): void {
  const scheduler = new JobScheduler(options.logger);
  const now = options.now ?? (() => new Date());
  scheduler.start({ name: 'provisioning-outbox', everyMs: 1000, run: () => outbox.drain(50) });
  scheduler.start({
    name: 'partner-reconciliation',
    everyMs: 5 * 60_000,
    run: async () => {
      for (const partnerId of core.deps.provisionedPartners) await core.deps.partnerOperations?.reconcile(partnerId, SYSTEM_AUDIT);
    },
  });
  scheduler.start({
    name: 'entitlement-periods',
    everyMs: 60_000,
    run: () =>
      sweepEntitlementPeriods(core.orm.em.fork(), {
        now: now(),
        timeZone: options.config.timeZone,
        provisionedPartners: core.deps.provisionedPartners,
      }),
  });
  closers.push(() => scheduler.stop(), 'jobs');
}

/** The secret the gateway signs subgraph requests with: `SUBGRAPH_SECRET`, else the file under DATA_DIR. */
export function subgraphSecretOf(config: AppConfig): Promise<string> {
  return loadSubgraphSecret({ secret: config.subgraphSecret, file: config.subgraphSecretFile });
}

/** Ready when the database answers and every migration is applied. */
export async function databaseReadiness(orm: MikroORM): Promise<string[]> {
  try {
    await orm.em.fork().execute('select 1');
    return (await migrationsApplied(orm)) ? [] : ['database migrations pending'];
  } catch {
    return ['database unreachable'];
  }
}

/**
 * Where a partner's API is and which secrets guard the webhooks both ways: configured
 * (`PARTNER_<ID>_URL`, `_API_KEY`, `_WEBHOOK_SECRETS`, `_CALLBACK_SECRETS`, secrets
 * comma-separated), else its sandbox outside production, wired to call us back.
 */
async function partnerEndpoint(
  adapter: PartnerAdapter,
  config: AppConfig,
  callbackBaseUrl: string | undefined,
): Promise<{ baseUrl: string; apiKey: string; webhookSecrets: string[]; callbackSecrets: string[]; sandbox?: RunningSandbox }> {
  const prefix = `PARTNER_${adapter.id.toUpperCase()}`;
  const list = (name: string) => (process.env[`${prefix}_${name}`] ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  const baseUrl = process.env[`${prefix}_URL`];
  const apiKey = process.env[`${prefix}_API_KEY`];
  if (baseUrl && apiKey) {
    return { baseUrl, apiKey, webhookSecrets: list('WEBHOOK_SECRETS'), callbackSecrets: list('CALLBACK_SECRETS') };
  }
  if (config.nodeEnv === 'production') {
    throw new Error(`Set ${prefix}_URL and ${prefix}_API_KEY: production never starts sandbox partners`);
  }
  const callbackSecrets = callbackBaseUrl ? [generateWebhookSecret()] : [];
  const sandbox = await adapter.startSandbox({
    host: '127.0.0.1',
    port: 0,
    ...(callbackBaseUrl ? { acknowledgeUrl: `${callbackBaseUrl}/partners/${adapter.id}/events`, acknowledgeSecrets: callbackSecrets } : {}),
  });
  return { baseUrl: sandbox.url, apiKey: sandbox.apiKey, webhookSecrets: sandbox.webhookSecrets ?? [], callbackSecrets, sandbox };
}
