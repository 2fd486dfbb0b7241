import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { SubgraphLogger as Logger } from './logger.js';
import { SUBGRAPH_SIGNATURE_HEADER, verifySubgraphRequest } from './subgraph-signature.js';
import { DirectExecution, logLaneOperation, type DirectExecutionOptions } from './direct-execution.js';

/** How to serve one subgraph (membership or a partner's) behind the gateway. */
export interface SubgraphHttpOptions<TContext extends BaseContext> {
  /** Its name in logs, e.g. `membership`, `sparkwash`. */
  name: string;
  /** The gateway's signing secret: requests without its signature are refused with 401. */
  secret: string;
  /** Receives one line per operation (debug) and every refused request (warn), with the request id. */
  logger?: Logger | undefined;
  /** True for an `extensions.code` clients only see as INTERNAL_SERVER_ERROR: such errors are logged with their cause. */
  isInternalError: (code: unknown) => boolean;
  /** @default '127.0.0.1' */
  host?: string | undefined;
  /** @default 0 (an ephemeral port) */
  port?: number | undefined;
  /** Builds the Apollo server with the plugins this HTTP layer needs (it starts it). */
  apollo: (plugins: ApolloServerPlugin<TContext>[]) => ApolloServer<TContext>;
  /** The per-request context from the request headers. */
  context: (headers: HeaderMap) => Promise<TContext>;
  /**
   * Runs each operation on behalf of the gateway's request id (`x-request-id`, or a fresh one),
   * e.g. in an AsyncLocalStorage so work it queues records the id. @default runs it as is
   */
  runInRequest?: <T>(requestId: string, work: () => T) => T;
  /**
   * Operations Apollo answered before are executed straight on this schema next time
   * (direct-execution.ts). Absent: every request goes through Apollo.
   */
  direct?: DirectExecutionOptions;
}

/** A subgraph listening behind the gateway. */
export interface RunningSubgraphHttp {
  /** Its GraphQL endpoint, e.g. `http://127.0.0.1:41234/graphql`. */
  url: string;
  /** Stops accepting requests, lets in-flight ones finish, then closes the port. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
// The gateway sends one operation per request; anything this large is not from it.
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Serves a subgraph at `POST /graphql`, accepting only requests the gateway signed
 * (`x-gateway-signature`, see subgraph-signature.ts): an unsigned or badly signed one gets
 * 401 before its body is parsed, so `_entities` and `_service` are never reachable directly.
 */
export async function startSubgraphHttp<TContext extends BaseContext>(options: SubgraphHttpOptions<TContext>): Promise<RunningSubgraphHttp> {
  const httpServer = createServer();
  const apollo = options.apollo([ApolloServerPluginDrainHttpServer({ httpServer }), operationLogPlugin(options.name, options.logger, options.isInternalError)]);
  await apollo.start();
  const lane = options.direct ? new DirectExecution(options.direct) : undefined;
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handleRequest(apollo, lane, options, req, res).catch(() => {
      // Past the headers there is no well-formed answer left to give; cut the response short.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    });
  });
  httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1');
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

async function handleRequest<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  lane: DirectExecution | undefined,
  options: SubgraphHttpOptions<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://subgraph.invalid');
  if (url.pathname !== GRAPHQL_PATH) {
    sendJson(res, 404, { error: `Not found; the subgraph is served at ${GRAPHQL_PATH}` });
    return;
  }
  // Only POST: a signature covers the body, and a GET carries its operation in the URL.
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendJson(res, 405, { errors: [{ message: 'Subgraphs accept POST only', extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  const raw = await readBody(req);
  if (raw === null) {
    sendJson(res, 413, { errors: [{ message: `Request body larger than ${MAX_BODY_BYTES} bytes`, extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  const signature = req.headers[SUBGRAPH_SIGNATURE_HEADER];
  const refused = verifySubgraphRequest(options.secret, Array.isArray(signature) ? signature[0] : signature, raw);
  if (refused) {
    options.logger?.warn({ subgraph: options.name, requestId: req.headers['x-request-id'], reason: refused }, 'subgraph request refused');
    sendJson(res, 401, { errors: [{ message: 'Subgraphs accept requests from the gateway only', extensions: { code: 'UNAUTHENTICATED' } }] });
    return;
  }

  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown = raw;
  if ((headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      sendJson(res, 400, { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
  }
  const runInRequest = options.runInRequest ?? (<T>(_id: string, work: () => T): T => work());
  const requestId = headers.get('x-request-id') ?? randomUUID();
  const laneRequest = lane && !url.search ? DirectExecution.request(body, headers.get('accept')) : undefined;
  const prepared = laneRequest && lane!.prepared(laneRequest);
  if (prepared) {
    const started = performance.now();
    const run = await runInRequest(requestId, async () => {
      let contextValue: TContext;
      try {
        contextValue = await options.context(headers);
      } catch {
        return undefined; // Apollo answers a context that cannot be built.
      }
      return lane!.run(prepared, laneRequest!, contextValue);
    });
    if (run) {
      if (options.logger) logLaneOperation(options.logger, { subgraph: options.name, requestId: headers.get('x-request-id') }, options.isInternalError, prepared, laneRequest!, started, run);
      res.statusCode = run.answer.status;
      for (const [name, value] of run.answer.headers) res.setHeader(name, value);
      res.end(run.answer.body);
      return;
    }
  }

  const httpGraphQLRequest: HTTPGraphQLRequest = { method: 'POST', headers, search: url.search, body };
  const response = await runInRequest(requestId, () => apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => options.context(headers) }));

  res.statusCode = response.status ?? 200;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    if (laneRequest && !prepared) lane!.learn(laneRequest, res.statusCode, response.headers, response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * One debug line per operation, on a child logger carrying the gateway's request id:
 * operation name and type, duration and outcome (error codes) — never variables or headers.
 * And one error line, with the cause and its stack, for every error the client only sees
 * as INTERNAL_SERVER_ERROR: the response says nothing, the log says what broke.
 */
export function operationLogPlugin<TContext extends BaseContext>(
  subgraph: string,
  logger: Logger | undefined,
  isInternalError: (code: unknown) => boolean,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ request }) {
      if (!logger) return;
      const started = performance.now();
      const log = logger.child({ subgraph, requestId: request.http?.headers.get('x-request-id') });
      return {
        async didEncounterErrors({ operationName, errors }) {
          for (const error of errors) {
            if (!isInternalError(error.extensions?.code)) continue;
            log.error({ operation: operationName ?? null, path: error.path, err: error.originalError ?? error }, 'internal error');
          }
        },
        async willSendResponse({ operationName, operation, errors, response }) {
          if (!log.isLevelEnabled('debug')) return;
          const fieldErrors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const all = [...(errors ?? []), ...fieldErrors];
          log.debug(
            {
              operation: operationName ?? null,
              type: operation?.operation ?? 'unknown',
              durationMs: Math.round((performance.now() - started) * 10) / 10,
              outcome: all.length ? 'error' : 'ok',
              ...(all.length ? { errorCodes: [...new Set(all.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))] } : {}),
            },
            'subgraph operation',
          );
        },
      };
    },
  };
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
