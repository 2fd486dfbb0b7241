import type { MikroORM } from '@mikro-orm/postgresql';
import { loadSubgraphSecret, type PartnerAdapter, type PartnerProvisioning, type PartnerSandbox, type RunningSandbox } from '../../partners/sdk/index.js';
import type { MessagingAdapter, MessagingProvider, MessagingSandboxStarter, RunningMessagingSandbox } from '../../messaging/sdk/index.js';
import type { PaymentAdapter, PaymentProvider, PaymentSandboxStarter, RunningPaymentSandbox } from '../../payments/sdk/index.js';
import { SubgraphChanges } from '../composition/subgraph-changes.js';
import type { SubgraphDefinition } from '../composition/supergraph.js';
import { startMembershipSubgraph } from '../hosting/membership-subgraph.js';
import type { DevIssuer } from '../modules/auth/index.js';
import { PartnerKeyService } from '../modules/partner/index.js';
import type { OutboxWorker } from '../modules/provisioning/index.js';
import type { SigningKeyStore } from '../modules/keys/index.js';
import type { AppConfig } from '../platform/config.js';
import type { AppDependencies, Services } from '../platform/context.js';
import { databaseReadiness } from '../platform/db/orm.js';
import type { Logger } from '../platform/logger.js';
import type { ModuleSet } from '../platform/module.js';
import type { SeedSummary } from '../seed/demo-catalog.js';
import { Closers } from './closers.js';
import { openCore } from './core.js';
import { connectPartners, startPartnerSubgraphs } from './partners.js';
import { connectMessaging } from './messaging.js';
import { connectPayments } from './payments.js';
import { openPublicPort } from './public-port.js';
import { startWork } from './worker.js';

export interface StartAppOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  /** The built-in partners (named by the entry point). */
  partners: readonly PartnerAdapter[];
  /** Their sandboxes, for every partner not configured (development and tests; see loadSandboxes). */
  sandboxes?: ReadonlyMap<string, PartnerSandbox>;
  /** Apply pending migrations at start. @default true */
  migrate?: boolean;
  /** Seed the demo catalog when the database has none. @default true */
  seed?: boolean;
  /** The payment provider (named by the entry point). */
  paymentAdapter: PaymentAdapter;
  /** Its sandbox, started when the provider is not configured (development and tests; see loadPaymentSandbox). */
  paymentSandbox?: PaymentSandboxStarter;
  /** The messaging provider (named by the entry point). @default none: members' moments are recorded, never delivered */
  messagingAdapter?: MessagingAdapter;
  /** Its sandbox, started when the provider is not configured (development and tests; see loadMessagingSandbox). */
  messagingSandbox?: MessagingSandboxStarter;
  now?: () => Date;
  /** Called with every SQL statement the app runs (tests count them). */
  onQuery?: (sql: string) => void;
  /** Run the jobs on their schedules (outbox, reconciliation, periods). @default true */
  jobs?: boolean;
}

export interface RunningApp {
  /** Base URL of the public port, e.g. http://127.0.0.1:4000 */
  url: string;
  graphqlUrl: string;
  /** Prometheus metrics, on their own port (`METRICS_PORT`), never the public one. */
  metricsUrl: string;
  orm: MikroORM;
  modules: ModuleSet;
  deps: AppDependencies;
  /** The signing keys of tokens and cards (tests sign with them as of other instants). */
  keyStore: SigningKeyStore;
  /** A fresh set of the modules' services on a fresh EntityManager (tests drive services directly). */
  services(): Services;
  subgraphs: SubgraphDefinition[];
  sandboxes: ReadonlyMap<string, RunningSandbox>;
  /** Where members pay. */
  payments: PaymentProvider;
  /** The payment provider's sandbox, when this process started it. */
  paymentSandbox: RunningPaymentSandbox | undefined;
  /** Where members' messages go (none when the entry point named no provider). */
  messaging: MessagingProvider | undefined;
  /** The messaging provider's sandbox, when this process started it. */
  messagingSandbox: RunningMessagingSandbox | undefined;
  seed: SeedSummary | null;
  /** The dev issuer (absent in production) for minting member and admin credentials. */
  devIssuer: DevIssuer | undefined;
  /** Delivers provisioning events (runs as a job; tests drive it directly). */
  outbox: OutboxWorker;
  /** Runs what is due now for members on real time (renewals, retries, reminders, months of rights). */
  runDue(): Promise<number>;
  provisioning: ReadonlyMap<string, PartnerProvisioning>;
  /** Secrets each partner signs its events to us with (sandbox ones generated at start). */
  partnerCallbackSecrets: ReadonlyMap<string, string[]>;
  /** Creates a partner API key (shown once). */
  createPartnerKey(partnerId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Everything in one process tree (`npm start`, the tests): the public port and its gateway,
 * the membership subgraph and one subgraph per partner on loopback ports, the sandbox partner
 * servers, and a worker's work (jobs, partners' callbacks on the public port).
 */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const { config, logger } = options;
  const closers = new Closers(logger);
  try {
    const publicPort = await openPublicPort(config, logger, closers);
    const partners = await connectPartners(options.partners, config, closers, {
      callbackBaseUrl: publicPort.url,
      ...(options.sandboxes ? { sandboxes: options.sandboxes } : {}),
    });
    const payments = await connectPayments(options.paymentAdapter, config, closers, {
      notifyBaseUrl: publicPort.url,
      ...(options.paymentSandbox ? { sandbox: options.paymentSandbox } : {}),
    });
    const messaging = options.messagingAdapter
      ? await connectMessaging(options.messagingAdapter, config, closers, { logger, ...(options.messagingSandbox ? { sandbox: options.messagingSandbox } : {}) })
      : { provider: undefined };
    const subgraphChanges = new SubgraphChanges();
    const core = await openCore(
      {
        config,
        databaseUrl: options.databaseUrl,
        logger,
        partners: options.partners,
        partnerProvisioning: partners.provisioning,
        subgraphChanges,
        ...(options.migrate !== undefined ? { migrate: options.migrate } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        payments: payments.provider,
        ...(messaging.provider ? { messaging: messaging.provider } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(options.onQuery ? { onQuery: options.onQuery } : {}),
      },
      closers,
    );
    const { orm } = core;
    const secret = await loadSubgraphSecret({ secret: config.subgraphSecret, file: config.subgraphSecretFile });
    const development = config.nodeEnv === 'development';
    const membership = await startMembershipSubgraph({ ...core, secret, development, logger });
    closers.push(() => membership.close(), 'membership subgraph');
    const partnerSubgraphs = await startPartnerSubgraphs(options.partners, partners, { secret, development, logger }, closers);
    const work = startWork(core, partners, { logger, jobs: options.jobs ?? true, activityImportMaxBytes: config.activityImport.maxBytes }, closers);
    const subgraphs = [{ name: 'membership', url: membership.url, typeDefs: membership.typeDefs }, ...partnerSubgraphs];
    await publicPort.serve({
      subgraphs,
      errors: core.errors,
      keyStore: core.keyStore,
      identityTokens: core.authenticator.tokens,
      readiness: () => databaseReadiness(orm),
      orm,
      statusLists: core.deps.statusLists,
      pseudonyms: core.deps.pseudonyms,
      partnerEvents: work.partnerEvents,
      paymentNotifications: work.paymentNotifications,
      activityImports: work.activityImports,
      partnerStatements: work.partnerStatements,
      subgraphChanges,
    });
    return {
      url: publicPort.url,
      graphqlUrl: `${publicPort.url}/graphql`,
      metricsUrl: publicPort.metricsUrl,
      orm,
      modules: core.modules,
      deps: core.deps,
      keyStore: core.keyStore,
      services: () => core.modules.createServices(orm.em.fork(), core.deps),
      subgraphs,
      sandboxes: partners.sandboxes,
      payments: payments.provider,
      paymentSandbox: payments.sandbox,
      messaging: messaging.provider,
      messagingSandbox: messaging.sandbox,
      seed: core.seed,
      devIssuer: core.devIssuer,
      outbox: work.outbox,
      runDue: work.runDue,
      provisioning: partners.provisioning,
      partnerCallbackSecrets: partners.callbackSecrets,
      createPartnerKey: async (partnerId) => (await new PartnerKeyService(orm.em.fork()).create(partnerId)).key,
      close: () => closers.closeAll(),
    };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}
