// The baseline: @apollo/gateway over the same supergraph and the same running subgraphs
// (run as its own process by apollo-gateway-main.ts).
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { Fetcher } from '@apollo/utils.fetcher';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../partners/sdk/subgraph-signature.js';

interface ForwardedHeaders {
  authorization?: string;
  acceptLanguage?: string;
}

/** Forwards the caller's credential and language to the subgraphs, as our gateway does. */
class ForwardingDataSource extends RemoteGraphQLDataSource<ForwardedHeaders> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<ForwardedHeaders>): void {
    const ctx = context as ForwardedHeaders;
    if (ctx.authorization) request.http?.headers.set('authorization', ctx.authorization);
    if (ctx.acceptLanguage) request.http?.headers.set('accept-language', ctx.acceptLanguage);
  }
}

export interface RunningApolloGateway {
  url: string;
  close(): Promise<void>;
}

/** Signs each subgraph request as our gateway does (subgraphs refuse unsigned ones). */
function signingFetcher(secret: string): Fetcher {
  return (url, init) => {
    const body = typeof init?.body === 'string' ? init.body : (init?.body?.toString('utf8') ?? '');
    return fetch(url, { ...init, body, headers: { ...init?.headers, [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(secret, body) } });
  };
}

export async function startApolloGateway(
  supergraphSdl: string,
  listen: { host: string; port: number } = { host: '127.0.0.1', port: 0 },
  subgraphSecret: string,
): Promise<RunningApolloGateway> {
  const fetcher = signingFetcher(subgraphSecret);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ url }) => new ForwardingDataSource({ url, fetcher }),
  });
  const server = new ApolloServer<ForwardedHeaders>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen,
    context: async ({ req }) => {
      const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
      return {
        authorization: first(req.headers.authorization),
        acceptLanguage: first(req.headers['accept-language']),
      };
    },
  });
  return { url, close: () => server.stop() };
}
