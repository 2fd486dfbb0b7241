import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError } from 'graphql';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Authenticator } from '../modules/auth/index.js';
import type { Principal } from '../platform/principal.js';
import { AppError, type ErrorCatalog } from '../platform/errors.js';
import { currentRequestId, withRequestId } from '../platform/request-id.js';
import { negotiateLocale } from '../platform/localized.js';
import type { Logger } from '../platform/logger.js';
import { buildMembershipSubgraph } from './membership-schema.js';
import { batchSameTickReads } from '../platform/db/same-tick-reads.js';
import { catalogVersionOf } from '../platform/catalog-cache.js';
import { depsForMember, type AppDependencies, type RequestContext } from '../platform/context.js';
import type { ModuleSet } from '../platform/module.js';
import { startSubgraphHttp } from '../../partners/sdk/hosting.js';

export interface MembershipSubgraphOptions {
  orm: MikroORM;
  /** The modules it serves (their resolvers, loaders and services). */
  modules: ModuleSet;
  /** Their error codes: anything else reaches clients as INTERNAL_SERVER_ERROR. */
  errors: ErrorCatalog;
  authenticator: Authenticator;
  deps: AppDependencies;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** Stack traces in errors. @default false */
  development?: boolean;
  /** The gateway's signing secret (`SUBGRAPH_SECRET`): unsigned requests get 401. */
  secret: string;
  /** Receives one line per operation (debug) with the gateway's request id. */
  logger?: Logger;
}

export interface RunningSubgraph {
  url: string;
  typeDefs: string;
  close(): Promise<void>;
}

/** Serves the membership subgraph over HTTP on a loopback port. */
export async function startMembershipSubgraph(options: MembershipSubgraphOptions): Promise<RunningSubgraph> {
  const { schema, typeDefs } = await buildMembershipSubgraph(options.modules);
  const development = options.development ?? false;
  const formatError = (formatted: GraphQLFormattedError) => options.errors.formatError(formatted, development);
  const running = await startSubgraphHttp<RequestContext>({
    name: 'membership',
    secret: options.secret,
    logger: options.logger,
    isInternalError: (code) => options.errors.isInternal(code),
    // What an operation queues for jobs remembers the gateway's request id (see request-id.ts).
    runInRequest: withRequestId,
    host: options.host,
    port: options.port,
    apollo: (plugins) =>
      new ApolloServer<RequestContext>({
        schema,
        formatError,
        introspection: true,
        // The process owns shutdown (it closes subgraphs in order); Apollo must not race it.
        stopOnTerminationSignals: false,
        // Inline traces only feed GraphOS, which this deployment does not use; nothing reads
        // cache-control hints from a subgraph (the plugin wraps every field to collect them).
        plugins: [...plugins, ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
        includeStacktraceInErrorResponses: development,
      }),
    // Operations answered once are executed straight on the schema after (direct-execution.ts).
    direct: { schema, formatError, includeStacktraceInErrorResponses: development },
    context: async (headers) => {
      // A refused credential is reported by the fields that need one, not as a failed request.
      const principal = await options.authenticator
        .authenticate(headers.get('authorization'))
        .catch((error: unknown): Principal => {
          if (error instanceof AppError) return { kind: 'anonymous', rejected: error };
          throw error;
        });
      const em = options.orm.em.fork();
      // Sibling fields' reads (me's membership, rights, tier, points) go in one round trip.
      batchSameTickReads(em);
      // A member's operation reads the catalog (plans, benefits, partners): its version goes
      // with the first reads rather than a round trip of its own later. A partner's first read
      // comes after its token's signature is checked: the version goes with that read
      // (TokenService.verifyForPartner), not alone while the signature is being checked.
      if (principal.kind === 'member') void catalogVersionOf(em);
      // A member on a test clock does everything at the clock's time (outside production).
      const deps = principal.kind === 'member' ? await depsForMember(options.deps, em, principal.memberId) : options.deps;
      return {
        // The one id of this operation (subgraph-http runs it under the gateway's, or a fresh one).
        requestId: currentRequestId() ?? randomUUID(),
        principal,
        locale: negotiateLocale(headers.get('accept-language')),
        loaders: options.modules.createLoaders(em),
        services: options.modules.createServices(em, deps),
      };
    },
  });
  return { url: running.url, typeDefs, close: running.close };
}
