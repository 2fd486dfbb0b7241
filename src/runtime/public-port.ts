import type { MikroORM } from '@mikro-orm/postgresql';
import { loadSubgraphSecret } from '../../partners/sdk/index.js';
import type { SubgraphChanges } from '../composition/subgraph-changes.js';
import { SupergraphSource } from '../composition/supergraph-source.js';
import type { SubgraphDefinition } from '../composition/supergraph.js';
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, createGateway, FORWARDED } from '../edge/gateway.js';
import { FastLane } from '../edge/fast-lane.js';
import { SLOW_ROOT_FIELDS } from '../edge/plugins/subgraph-timeout.js';
import { Metrics, startMetricsServer } from '../edge/metrics.js';
import { loadPersistedOperations } from '../edge/persisted-operations.js';
import { startPublicServer, type ActivityImportRoute, type PartnerEventsRoute, type PartnerStatementRoute, type PaymentNotifyRoute, type PublicRoutes } from '../edge/public-server.js';
import { MemberAssertions } from '../edge/member-assertion.js';
import { cachedMemberIdentities, createRateLimiter, type MemberIdentities } from '../edge/plugins/rate-limit.js';
import { CHANNEL_KEY_PREFIX, PARTNER_KEY_PREFIX, type IdentityTokenVerifier } from '../modules/auth/index.js';
import { issuerMetadata, jwksCacheControl, jwksDocument, type MemberPseudonymizer, type SigningKeyStore } from '../modules/keys/index.js';
import { type StatusLists } from '../modules/status-list/index.js';
import type { AppConfig } from '../platform/config.js';
import type { ErrorCatalog } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { policedFetch } from '../platform/outbound.js';
import type { Closers } from './closers.js';

/** What the public port serves once the process has it. */
export interface PublicPortServing {
  /** The subgraphs to compose (partners' registered ones are added when `orm` is given). */
  subgraphs: SubgraphDefinition[];
  /** Error codes clients may see (what the gateway passes through of subgraphs' errors). */
  errors: ErrorCatalog;
  keyStore: SigningKeyStore;
  /** Verifies member JWTs before the rate limiter buckets them. */
  identityTokens: IdentityTokenVerifier;
  /** Problems that make the process not ready (empty when ready). */
  readiness: () => Promise<string[]>;
  /** Reads partners' registered subgraphs and serves the status lists, when given. */
  orm?: MikroORM;
  /** The token status lists (with `orm`). */
  statusLists?: StatusLists;
  /** Receives partners' signed events, when this process handles them. */
  partnerEvents?: PartnerEventsRoute;
  /** Receives the payment provider's signed notifications, when this process handles them. */
  paymentNotifications?: PaymentNotifyRoute;
  /** Takes admins' bulk imports of activities, when this process stores them. */
  activityImports?: ActivityImportRoute;
  /** Serves partners' settlement statements as files, when this process has the modules. */
  partnerStatements?: PartnerStatementRoute;
  /** Derives the member pseudonyms of the assertions partners' registered subgraphs receive (with `orm`). */
  pseudonyms?: MemberPseudonymizer;
  /** Registrations made in this process: recompose at once. */
  subgraphChanges?: SubgraphChanges;
}

export interface PublicPort {
  /** Bound base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  /** Prometheus `/metrics` on the metrics port, e.g. http://127.0.0.1:9464/metrics */
  metricsUrl: string;
  /** Composes the supergraph, starts the gateway and serves every route (503 until then). */
  serve(serving: PublicPortServing): Promise<void>;
}

/**
 * The public port, bound first (partners' sandboxes need its address for their callbacks)
 * and serving the supergraph, the issuer documents, health and readiness once `serve` is
 * called; Prometheus metrics on a port of their own.
 */
export async function openPublicPort(config: AppConfig, logger: Logger, closers: Closers): Promise<PublicPort> {
  const metrics = new Metrics();
  let routes: PublicRoutes | undefined;
  const server = await startPublicServer(() => routes, metrics, { host: config.host, port: config.port });
  closers.pushFirst(() => server.close(), 'public server');
  const metricsServer = await startMetricsServer(metrics, { host: config.metricsHost, port: config.metricsPort });
  closers.push(() => metricsServer.close(), 'metrics server');
  const subgraphSecret = await loadSubgraphSecret({ secret: config.subgraphSecret, file: config.subgraphSecretFile });
  return {
    url: `http://127.0.0.1:${server.port}`,
    metricsUrl: metricsServer.url,
    async serve(serving) {
      const source = new SupergraphSource(serving.subgraphs, serving.orm, logger);
      const ours = new Set(serving.subgraphs.map((s) => s.url));
      await source.refresh();
      // Closed after the gateway (closers run last-in first-out): no operation is left to count.
      const limiter = createRateLimiter({ ...config.rateLimit, redisUrl: config.redisUrl }, logger);
      closers.push(() => limiter.close(), 'rate-limit store');
      await limiter.ready();
      const identities = cachedMemberIdentities(serving.identityTokens);
      const { orm, statusLists, pseudonyms } = serving;
      const persistedOperations = config.persistedOperationsFile
        ? { operations: await loadPersistedOperations(config.persistedOperationsFile), only: config.persistedOperationsOnly }
        : undefined;
      const rateLimit = {
        limiter,
        windowSeconds: config.rateLimit.windowSeconds,
        trustProxy: config.trustProxy,
        identities,
      };
      // Operations planned as one fetch from one of our subgraphs, served beside the runtime.
      const fastLane = new FastLane({
        subgraphUrls: new Map(serving.subgraphs.map((s) => [s.name, s.url])),
        subgraphSecret,
        metrics,
        cors: { origin: config.corsOrigins, allowedHeaders: CORS_ALLOWED_HEADERS, exposedHeaders: CORS_EXPOSED_HEADERS },
        forwardedHeaders: FORWARDED,
        rateLimit,
        ...(persistedOperations ? { persistedOperations } : {}),
        upstreamTimeoutMs: 10_000,
        slowFields: SLOW_ROOT_FIELDS,
      });
      const gateway = createGateway({
        ...(persistedOperations ? { persistedOperations } : {}),
        fastLane,
        supergraph: () => source.current(),
        errors: serving.errors,
        logger,
        metrics,
        graphiql: config.nodeEnv === 'development',
        corsOrigins: config.corsOrigins,
        development: config.nodeEnv === 'development',
        rateLimit,
        limits: config.graphqlLimits,
        introspection: config.nodeEnv !== 'production',
        subgraphSecret,
        // Partners' own registered subgraphs are third parties: they never get our signature,
        // nor the member's credential; they get a member assertion, over a policed connection.
        signs: (url) => ours.has(url),
        ...(orm && pseudonyms
          ? {
              thirdParties: {
                partnerOf: (url: string) => source.partnerOf(url),
                assertion: memberAssertionOf(identities, new MemberAssertions({ issuer: config.publicUrl, keyStore: serving.keyStore, pseudonyms, memberIdOf: memberLookup(orm) })),
                fetch: policedFetch(config.partnerSubgraphs),
              },
            }
          : {}),
      });
      const recompose = async () => {
        if (await source.refresh()) {
          fastLane.clear();
          gateway.invalidateUnifiedGraph();
        }
      };
      const unsubscribe = serving.subgraphChanges?.subscribe(recompose);
      // Other replicas register subgraphs too: converge within a few seconds.
      const poll = setInterval(() => void recompose().catch((error: unknown) => logger.error({ err: error }, 'supergraph refresh failed')), 5000);
      poll.unref();
      closers.push(async () => {
        clearInterval(poll);
        unsubscribe?.();
        await gateway.dispose();
      }, 'gateway');
      routes = {
        gateway,
        fastLane,
        jwks: () => jwksDocument(serving.keyStore),
        jwksCacheControl: jwksCacheControl(config.signingKeyRotationLeadSeconds),
        issuerMetadata: () => issuerMetadata(config.publicUrl, { tokenTtlSeconds: config.tokenTtlSeconds }),
        readiness: serving.readiness,
        console: { dir: config.consoleDir },
        ...(serving.partnerEvents ? { partnerEvents: serving.partnerEvents } : {}),
        ...(serving.paymentNotifications ? { paymentNotifications: serving.paymentNotifications } : {}),
        ...(serving.activityImports ? { activityImports: serving.activityImports } : {}),
        ...(serving.partnerStatements ? { partnerStatements: serving.partnerStatements } : {}),
        ...(orm && statusLists
          ? {
              statusLists: {
                index: () => statusLists.index(orm.em.fork()),
                aggregation: (partnerId: string) => statusLists.aggregation(orm.em.fork(), partnerId),
                publish: (partnerId: string, ordinal: number) => statusLists.publish(orm.em.fork(), partnerId, ordinal),
              },
            }
          : {}),
      };
    },
  };
}

/** The member assertion for a request's verified member JWT; null for a partner, an anonymous caller or an unknown member. */
function memberAssertionOf(identities: MemberIdentities, assertions: MemberAssertions): (request: Request, partnerId: string) => Promise<string | null> {
  return async (request, partnerId) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
    const credential = match?.[1];
    if (!credential || credential.startsWith(PARTNER_KEY_PREFIX) || credential.startsWith(CHANNEL_KEY_PREFIX)) return null;
    const identity = await identities.identify(credential);
    return identity ? assertions.for(identity, partnerId) : null;
  };
}

/**
 * Our member id for an identity provider's (`iss`, `sub`), read (never created) from the
 * database, remembered for a minute as other replicas' member caches are (an erased member's
 * answer goes stale within that minute).
 */
function memberLookup(orm: MikroORM): (issuer: string, subject: string) => Promise<string | null> {
  const cache = new Map<string, { id: string | null; until: number }>();
  return async (issuer, subject) => {
    const key = `${issuer}\u0000${subject}`;
    const cached = cache.get(key);
    if (cached && cached.until > Date.now()) return cached.id;
    const [row] = await orm.em.fork().execute<{ id: string }[]>('select id from member where issuer = ? and subject = ? and erased_at is null', [issuer, subject]);
    if (cache.size >= 10_000) cache.clear();
    cache.set(key, { id: row?.id ?? null, until: Date.now() + 60_000 });
    return row?.id ?? null;
  };
}
