import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { formatError } from '../src/shared/errors.js';
import type { PartnerAdapter, PartnerSubgraphContext } from './adapter.js';

/** How to serve one partner subgraph. */
export interface PartnerSubgraphOptions<Client> {
  /** The client its resolvers use to reach the partner's API. */
  client: Client;
  /** Interface to bind; subgraphs stay on loopback. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Put stack traces in error responses (development only). @default false */
  exposeStackTraces?: boolean;
}

/** A partner subgraph listening on loopback. */
export interface RunningPartnerSubgraph {
  /** Its GraphQL endpoint, e.g. `http://127.0.0.1:41234/graphql`. */
  url: string;
  /** Stops accepting requests, lets in-flight ones finish, then closes the port. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
// The gateway sends one operation per request; anything this large is not from it.
const MAX_BODY_BYTES = 1024 * 1024;

/** The executable Federation 2 subgraph schema of a partner, its resolvers bound to `client`. */
export function buildPartnerSubgraphSchema<Client>(adapter: PartnerAdapter<Client>, client: Client): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs: adapter.typeDefs, resolvers: adapter.resolvers(client) }]);
}

/**
 * Serves a partner's subgraph with Apollo Server at `POST /graphql` on loopback. The
 * context carries the `Accept-Language` and `X-Request-Id` headers the gateway forwards.
 */
export async function startPartnerSubgraph<Client>(
  adapter: PartnerAdapter<Client>,
  options: PartnerSubgraphOptions<Client>,
): Promise<RunningPartnerSubgraph> {
  const { client, host = '127.0.0.1', port = 0, exposeStackTraces = false } = options;
  const httpServer = createServer();
  const apollo = new ApolloServer<PartnerSubgraphContext>({
    schema: buildPartnerSubgraphSchema(adapter, client),
    formatError: (formatted, error) => formatError(formatted, error, exposeStackTraces),
    includeStacktraceInErrorResponses: exposeStackTraces,
    // Inline (ftv1) traces only feed Apollo GraphOS, which this gateway does not report to.
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginInlineTraceDisabled()],
    // The process owns shutdown (it closes subgraphs in order); Apollo must not race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handleRequest(apollo, req, res).catch(() => {
      // Past the headers there is no well-formed answer left to give; cut the response short.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    });
  });
  httpServer.listen(port, host);
  try {
    await once(httpServer, 'listening');
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  const address = httpServer.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}${GRAPHQL_PATH}`,
    // The drain plugin closes the HTTP server once in-flight requests are done.
    close: () => apollo.stop(),
  };
}

async function handleRequest(
  apollo: ApolloServer<PartnerSubgraphContext>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://subgraph.invalid');
  if (url.pathname !== GRAPHQL_PATH) {
    sendJson(res, 404, { error: `Not found; the subgraph is served at ${GRAPHQL_PATH}` });
    return;
  }

  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }

  let body: unknown;
  if (req.method === 'POST') {
    const raw = await readBody(req);
    if (raw === null) {
      sendJson(res, 413, { errors: [{ message: `Request body larger than ${MAX_BODY_BYTES} bytes`, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    if ((headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
    } else {
      body = raw;
    }
  }

  const httpGraphQLRequest: HTTPGraphQLRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    headers,
    search: url.search,
    body,
  };
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest,
    context: async () => ({
      acceptLanguage: headers.get('accept-language'),
      requestId: headers.get('x-request-id'),
    }),
  });

  res.statusCode = response.status ?? 200;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** The body as text, or null when it exceeds {@link MAX_BODY_BYTES}. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(payload));
}
