import type { MikroORM } from '@mikro-orm/postgresql';
import type { PartnerAdapter, PartnerProvisioning } from '../../partners/sdk/index.js';
import type { MessagingProvider } from '../../messaging/sdk/index.js';
import type { PaymentProvider } from '../../payments/sdk/index.js';
import { builtInSubgraphs } from '../composition/subgraph-catalog.js';
import type { SubgraphChanges } from '../composition/subgraph-changes.js';
import { composeSupergraphWithApi, compositionErrorsOf } from '../composition/supergraph.js';
import { registeredSubgraphName } from '../composition/supergraph-source.js';
import { buildMembershipSubgraph } from '../hosting/membership-schema.js';
import { loadErrorCatalog, loadModules } from '../modules/index.js';
import { openAuditLog } from '../modules/audit/index.js';
import { Authenticator, type DevIssuer } from '../modules/auth/index.js';
import { MemberDirectory } from '../modules/member/index.js';
import { ChannelKeyService } from '../modules/activity/index.js';
import { PartnerKeyService, type SubgraphCompositionPort } from '../modules/partner/index.js';
import { EntitlementTokenSigner, EntitlementTokenVerifier, MembershipCardTokens } from '../modules/token/index.js';
import { memberSegments } from '../modules/segment/index.js';
import { testClocks } from '../modules/test-clock/index.js';
import { createDueWorkRunner } from '../platform/due-work.js';
import { FileSigningKeyStore, loadPseudonymSecret, MemberPseudonymizer, type SigningKeyStore } from '../modules/keys/index.js';
import { staffRoleValues, type AppConfig } from '../platform/config.js';
import type { AppDependencies } from '../platform/context.js';
import { connectOrm, migrateUp } from '../platform/db/orm.js';
import type { ErrorCatalog } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { ModuleSet } from '../platform/module.js';
import { seedDemoCatalog, type SeedSummary } from '../seed/demo-catalog.js';
import type { Closers } from './closers.js';
import { openDevIssuer, signingKeyStoreOptions, statusListsOf } from './keys.js';
import { noPayments } from './payments.js';

export interface CoreOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  /** The built-in partners (named by the entry point): provisioned through the outbox, composed into the supergraph. */
  partners: readonly PartnerAdapter[];
  /** Provisioning on each partner's side, where this process runs it (workers, the all-in-one process). */
  partnerProvisioning?: ReadonlyMap<string, PartnerProvisioning>;
  /** Told when a partner registers or removes its own subgraph (the local gateway recomposes). */
  subgraphChanges?: SubgraphChanges;
  /** Apply pending migrations at start. @default true */
  migrate?: boolean;
  /** Seed the demo catalog when the database has none. @default true */
  seed?: boolean;
  /** Where members pay (see connectPayments). @default none: every payment fails (a process that only migrates and seeds) */
  payments?: PaymentProvider;
  /** Where members' messages go (see connectMessaging). @default none: this process delivers no moment */
  messaging?: MessagingProvider;
  now?: () => Date;
  /** Called with every SQL statement the process runs (tests count them). */
  onQuery?: (sql: string) => void;
  /** Connection pool size. @default 10 */
  poolSize?: number;
}

/** What the membership subgraph and the jobs stand on. */
export interface Core {
  orm: MikroORM;
  modules: ModuleSet;
  errors: ErrorCatalog;
  deps: AppDependencies;
  authenticator: Authenticator;
  keyStore: SigningKeyStore;
  devIssuer: DevIssuer | undefined;
  seed: SeedSummary | null;
}

/**
 * The core of a process that serves the membership subgraph or runs jobs: the audit-log key,
 * the modules, the database (migrated, demo catalog seeded when empty), the signing keys, the
 * pseudonym secret, the credential checks, and the dependencies every request and job shares,
 * built once.
 */
export async function openCore(options: CoreOptions, closers: Closers): Promise<Core> {
  const { config, logger } = options;
  // Before anything can write an audited change: new audit rows are HMAC-ed under this key.
  await openAuditLog(config);
  const [modules, errors] = await Promise.all([loadModules(), loadErrorCatalog()]);
  const orm = await connectOrm({
    databaseUrl: options.databaseUrl,
    entities: modules.entities(),
    ...(options.poolSize ? { poolSize: options.poolSize } : {}),
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  });
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
    logger,
    provisionedPartners: options.partners.map((a) => a.id),
    redemptionVoidWindowSeconds: config.redemptionVoidWindowSeconds,
    payments: options.payments ?? noPayments('this process opened the core without a payment provider'),
    paymentConfirmWaitMs: config.paymentConfirmWaitMs,
    ...(options.messaging ? { messaging: options.messaging } : {}),
    moments: config.moments,
    // Members on test clocks live at their clock's time; production has no clocks at all.
    ...(config.testClocks ? { memberClocks: testClocks } : {}),
    // Which segments a member is in now (campaign eligibility), as the segment module last computed them.
    memberSegments,
    signer: new EntitlementTokenSigner({ issuer: config.publicUrl, keyStore, ttlSeconds: config.tokenTtlSeconds, ...clock }),
    verifier: new EntitlementTokenVerifier({ issuer: config.publicUrl, keyStore, ...clock }),
    cards: new MembershipCardTokens({ issuer: config.publicUrl, keyStore, ttlSeconds: config.cardTokenTtlSeconds, ...clock }),
    pseudonyms: new MemberPseudonymizer(pseudonymSecret),
    statusLists: statusListsOf(config, keyStore, options.now),
    subgraphComposition: registrationComposer(modules, options.partners, options.subgraphChanges),
    partnerSubgraphPolicy: config.partnerSubgraphs,
    activityImport: { concurrency: config.activityImport.concurrency },
    outboxDelivery: config.outbox,
    ...(options.partnerProvisioning ? { partnerProvisioning: options.partnerProvisioning } : {}),
    ...clock,
  };
  deps.dueWork = createDueWorkRunner({ orm, modules, deps, logger });
  const devIssuer = await openDevIssuer(config);
  const members = new MemberDirectory(() => orm.em.fork());
  const authenticator = new Authenticator({
    issuers: Authenticator.issuersFor(config.auth, devIssuer?.publicKey),
    audience: config.auth.audience,
    roleClaim: config.auth.roleClaim,
    staffRoles: staffRoleValues(config.auth),
    resolveMember: (issuer, subject) => members.memberIdFor(issuer, subject),
    resolvePartnerKey: (hash) => new PartnerKeyService(orm.em.fork(), clock).resolve(hash),
    resolveChannelKey: (hash) => new ChannelKeyService(orm.em.fork()).resolve(hash),
  });
  return { orm, modules, errors, deps, authenticator, keyStore, devIssuer, seed };
}

/**
 * Partners' own subgraphs must compose with everything served: the built-in subgraphs and
 * the other registrations. After a change the local gateway is told (other replicas poll).
 */
function registrationComposer(modules: ModuleSet, partners: readonly PartnerAdapter[], changes: SubgraphChanges | undefined): SubgraphCompositionPort {
  return {
    async compositionErrors(candidate, others) {
      const { typeDefs } = await buildMembershipSubgraph(modules);
      const registered = [...others, candidate].map((r) => ({ name: registeredSubgraphName(r.partnerId), url: r.url, typeDefs: r.sdl }));
      try {
        composeSupergraphWithApi([...builtInSubgraphs(typeDefs, partners), ...registered]);
        return [];
      } catch (error) {
        return compositionErrorsOf(error);
      }
    },
    ...(changes ? { onChange: () => changes.notify() } : {}),
  };
}
