import { createGatewayRuntime, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import httpTransport from '@graphql-mesh/transport-http';
import { isRegisteredSubgraphName } from '../composition/supergraph-source.js';
import type { ErrorCatalog } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { errorNormalization } from './error-normalization.js';
import type { FastLane } from './fast-lane.js';
import type { Metrics } from './metrics.js';
import { answerBeforePlanning } from './plugins/answer-before-planning.js';
import { graphiqlAssetsPlugin, renderGraphiQL } from './plugins/graphiql.js';
import { CSRF_HEADERS, DEFAULT_GRAPHQL_LIMITS, graphqlLimitsPlugins, type GraphqlLimits } from './plugins/graphql-limits.js';
import { knownOperationTypes } from './plugins/known-operation-types.js';
import { operationMetrics } from './plugins/operation-metrics.js';
import { rateLimitPlugin, type RateLimitPluginOptions } from './plugins/rate-limit.js';
import { signSubgraphRequests } from './plugins/sign-subgraph-requests.js';
import { SLOW_ROOT_FIELDS, subgraphTimeout } from './plugins/subgraph-timeout.js';
import { thirdPartySubgraphsPlugin, type ThirdPartySubgraphsOptions } from './plugins/third-party-subgraphs.js';

export interface GatewayOptions {
  /** Returns the current supergraph SDL (recomposed when subgraphs change). */
  supergraph: () => string;
  /** The error codes clients may see, and which `extensions` fields of each. */
  errors: ErrorCatalog;
  /** Receives an error line for every error the gateway itself turns into INTERNAL_SERVER_ERROR. */
  logger?: Logger;
  metrics: Metrics;
  /** Show the GraphQL IDE on GET /graphql, its assets served by us (graphiql.ts). @default false */
  graphiql: boolean;
  corsOrigins: string[];
  /** Per-subgraph request timeout. @default 10_000 */
  upstreamTimeoutMs?: number;
  /** Keep stack traces from subgraphs. @default false */
  development?: boolean;
  /** Per-caller rate limits, checked before execution; none when absent. */
  rateLimit?: RateLimitPluginOptions;
  /** Largest operation accepted (depth, aliases, tokens, directives, cost). @default DEFAULT_GRAPHQL_LIMITS */
  limits?: GraphqlLimits;
  /** Answer introspection and suggest field names in errors; production turns both off. @default true */
  introspection?: boolean;
  /** Safelist mode: operations by sha256 (`extensions.persistedQuery.sha256Hash`); only those when `only`. */
  persistedOperations?: { operations: ReadonlyMap<string, string>; only: boolean };
  /** Secret every subgraph request is signed with (`SUBGRAPH_SECRET`); subgraphs refuse unsigned ones. */
  subgraphSecret: string;
  /**
   * Which subgraph URLs get the signature: ours, not partners' own registered subgraphs
   * (a signed request handed to a third party could be replayed against ours). @default every URL
   */
  signs?: (url: string) => boolean;
  /** Partners' own registered subgraphs: called through a policed fetch, told who the member is only by an assertion. */
  thirdParties?: ThirdPartySubgraphsOptions;
  /** Serves operations whose plan is one fetch from one of our subgraphs beside the runtime (fast-lane.ts). */
  fastLane?: FastLane;
}

/** Headers the gateway forwards to our subgraphs. */
export const FORWARDED = ['authorization', 'accept-language', 'x-request-id'] as const;
/** CORS: what browser apps may send, and the response headers they may read (to back off politely, to quote a request id to support). */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'accept-language', 'x-request-id', ...CSRF_HEADERS];
export const CORS_EXPOSED_HEADERS = ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'];
/** Headers the gateway forwards to partners' own registered subgraphs (plus a member assertion, see third-party-subgraphs.ts). */
const FORWARDED_TO_THIRD_PARTIES = ['accept-language', 'x-request-id'] as const;

/**
 * The federation gateway: Hive Gateway's runtime with Hive Router's Rust query planner
 * (chosen by measurement, docs/decisions.md), forwarding the caller's credential,
 * language and request id to the subgraphs.
 */
export function createGateway(options: GatewayOptions): GatewayRuntime {
  const runtime = createGatewayRuntime({
    supergraph: options.supergraph,
    unifiedGraphHandler,
    transports: { http: httpTransport },
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: options.graphiql,
    renderGraphiQL,
    logging: 'error',
    cors: {
      origin: options.corsOrigins,
      credentials: true,
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
    },
    // A browser sends a form POST or a GET without preflight: those need one of these headers.
    csrfPrevention: { requestHeaders: [...CSRF_HEADERS] },
    batching: false,
    ...(options.persistedOperations
      ? {
          persistedDocuments: {
            getPersistedOperation: (key: string) => options.persistedOperations!.operations.get(key) ?? null,
            allowArbitraryDocuments: !options.persistedOperations.only,
          },
        }
      : {}),
    ...(options.introspection === false ? { disableIntrospection: {} } : {}),
    maskedErrors: false,
    // No `upstreamTimeout` option here: subgraphTimeout below does the same for less CPU.
    // A recomposition (a partner registered its subgraph) lets operations in flight finish
    // on the schema they started with instead of aborting them.
    gracefulSchemaReload: { drainTimeout: 30_000 },
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, subgraphName }) => {
        const headers: Record<string, string> = {};
        // A partner's own registered subgraph is a third party: never the member's credential.
        const forwarded = isRegisteredSubgraphName(subgraphName) ? FORWARDED_TO_THIRD_PARTIES : FORWARDED;
        for (const name of forwarded) {
          const value = request.headers.get(name);
          if (value) headers[name] = value;
        }
        return headers;
      },
    },
    plugins: () => [
      // First: it replays answers the fast lane already received before any other plugin sees the fetch.
      ...(options.fastLane ? [options.fastLane.plugin()] : []),
      ...(options.graphiql ? [graphiqlAssetsPlugin()] : []),
      ...(options.thirdParties ? [thirdPartySubgraphsPlugin(options.thirdParties)] : []),
      signSubgraphRequests(options.subgraphSecret, options.signs ?? (() => true)),
      subgraphTimeout(options.upstreamTimeoutMs ?? 10_000, SLOW_ROOT_FIELDS),
      ...(options.rateLimit ? [rateLimitPlugin(options.rateLimit, options.fastLane?.admitted)] : []),
      ...graphqlLimitsPlugins(options.limits ?? DEFAULT_GRAPHQL_LIMITS, { fieldSuggestions: options.introspection ?? true }),
      knownOperationTypes(),
      answerBeforePlanning(),
      operationMetrics(options.metrics),
      // Last, so it sees every error the runtime and the other plugins produced.
      errorNormalization(options.errors, { development: options.development ?? false, ...(options.logger ? { logger: options.logger } : {}) }),
    ],
  });
  options.fastLane?.attach(runtime);
  return runtime;
}
