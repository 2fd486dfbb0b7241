import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { formatSubgraphError, isInternalError, PARTNER_ERROR_CODES } from './errors.js';
import type { SubgraphLogger } from './logger.js';
import { startSubgraphHttp, type RunningSubgraphHttp } from './subgraph-http.js';
import type { PartnerAdapter, PartnerSubgraphContext } from './adapter.js';

const KNOWN_CODES = new Set<string>(PARTNER_ERROR_CODES);
const isKnown = (code: string) => KNOWN_CODES.has(code);

/** How to serve one partner subgraph. */
export interface PartnerSubgraphOptions<Client> {
  /** The client its resolvers use to reach the partner's API. */
  client: Client;
  /** The gateway's signing secret (`SUBGRAPH_SECRET`): unsigned requests get 401. */
  secret: string;
  /** Receives one line per operation (debug) with the gateway's request id. */
  logger?: SubgraphLogger;
  /** Interface to bind; subgraphs stay on loopback. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Put stack traces in error responses (development only). @default false */
  exposeStackTraces?: boolean;
}

/** A partner subgraph listening on loopback. */
export type RunningPartnerSubgraph = RunningSubgraphHttp;

/** The executable Federation 2 subgraph schema of a partner, its resolvers bound to `client`. */
export function buildPartnerSubgraphSchema<Client>(adapter: PartnerAdapter<Client>, client: Client): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs: adapter.typeDefs, resolvers: adapter.resolvers(client) }]);
}

/**
 * Serves a partner's subgraph with Apollo Server at `POST /graphql` on loopback, to the
 * gateway only (signed requests). The context carries the `Accept-Language` and
 * `X-Request-Id` headers the gateway forwards.
 */
export async function startPartnerSubgraph<Client>(
  adapter: PartnerAdapter<Client>,
  options: PartnerSubgraphOptions<Client>,
): Promise<RunningPartnerSubgraph> {
  const { client, exposeStackTraces = false } = options;
  return startSubgraphHttp<PartnerSubgraphContext>({
    name: adapter.id,
    secret: options.secret,
    logger: options.logger,
    isInternalError: (code) => isInternalError(code, isKnown),
    host: options.host,
    port: options.port,
    apollo: (plugins) =>
      new ApolloServer<PartnerSubgraphContext>({
        schema: buildPartnerSubgraphSchema(adapter, client),
        formatError: (formatted) => formatSubgraphError(formatted, isKnown, exposeStackTraces),
        includeStacktraceInErrorResponses: exposeStackTraces,
        // Inline (ftv1) traces only feed Apollo GraphOS, which this gateway does not report to.
        plugins: [...plugins, ApolloServerPluginInlineTraceDisabled()],
        // The process owns shutdown (it closes subgraphs in order); Apollo must not race it.
        stopOnTerminationSignals: false,
      }),
    context: async (headers) => ({
      acceptLanguage: headers.get('accept-language'),
      requestId: headers.get('x-request-id'),
    }),
  });
}
