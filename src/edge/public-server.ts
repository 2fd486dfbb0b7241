import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { STATUS_LIST_MEDIA_TYPE, type PublishedStatusList } from '../modules/status-list/index.js';
import { requestIdOf } from '../platform/request-id.js';
import { GRAPHIQL_ASSETS_PATH } from './plugins/graphiql.js';
import type { FastLane } from './fast-lane.js';
import type { Metrics } from './metrics.js';
import { ACTIVITY_IMPORTS_PATH, serveActivityImports, type ActivityImportRoute } from './activity-import-route.js';
import { CONSOLE_PATH, serveConsole, type ConsoleRoute } from './console-route.js';
import { acceptsGzip, matchesEtag, readRawBody, sendJson } from './http-util.js';
import { PARTNER_EVENTS_PATH, servePartnerEvent, type PartnerEventsRoute } from './partner-events-route.js';
import { PARTNER_STATEMENT_PATH, servePartnerStatement, type PartnerStatementRoute } from './partner-statement-route.js';
import { PAYMENT_NOTIFY_PATH, servePaymentNotification, type PaymentNotifyRoute } from './payment-notify-route.js';

export type { ActivityImportRoute, ConsoleRoute, PartnerEventsRoute, PartnerStatementRoute, PaymentNotifyRoute };

export interface PublicRoutes {
  /** The gateway. */
  gateway: GatewayRuntime;
  /** Serves what it can of the gateway's operations beside it (fast-lane.ts). */
  fastLane?: FastLane;
  /** Signed events from partners (`POST /partners/{id}/events`); 404 when this process does not take them. */
  partnerEvents?: PartnerEventsRoute;
  /** Signed notifications from the payment provider (`POST /payments/{provider}/notify`); 404 when this process does not take them. */
  paymentNotifications?: PaymentNotifyRoute;
  /** Admins' bulk imports of activities (`POST /admin/activity-imports`, `GET …/{id}`); 404 when this process does not take them. */
  activityImports?: ActivityImportRoute;
  /** Partners' settlement statements as files (`GET /partner/settlement.csv`, `.pdf`); 404 when this process does not serve them. */
  partnerStatements?: PartnerStatementRoute;
  /** The web console (`GET /console`, its assets under `/console/assets/`); 404 when not given. */
  console?: ConsoleRoute;
  jwks: () => Promise<unknown>;
  /** `Cache-Control` of the JWKS (see `jwksCacheControl`). @default 'public, max-age=300, stale-while-revalidate=60' */
  jwksCacheControl?: string;
  issuerMetadata: () => unknown;
  /** Resolves to the problems that make the service not ready (empty when ready). */
  readiness: () => Promise<string[]>;
  /** The token status lists under `/.well-known/status-lists`; 404 when not given. */
  statusLists?: StatusListRoutes;
}

/** What `/.well-known/status-lists[/<partner>[/<ordinal>]]` serves. */
export interface StatusListRoutes {
  /** Every list's URI. */
  index: () => Promise<unknown>;
  /** One partner's list URIs; null for a partner without lists. */
  aggregation: (partnerId: string) => Promise<unknown>;
  /** One signed list; null when there is none. */
  publish: (partnerId: string, ordinal: number) => Promise<PublishedStatusList | null>;
}

export interface RunningPublicServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}


/**
 * The one public port: the supergraph on /graphql, the web console on /console, the issuer's
 * well-known documents, health and readiness. Everything else is 404, /metrics included (it has a port of its
 * own, see startMetricsServer). It is bound before the process has its routes (partners'
 * sandboxes need its address): until `routes()` gives them, everything but /healthz is 503.
 */
export async function startPublicServer(
  routes: () => PublicRoutes | undefined,
  metrics: Metrics,
  listen: { host: string; port: number },
): Promise<RunningPublicServer> {
  const server = http.createServer((req, res) => {
    const requestId = requestIdOf(req.headers['x-request-id']);
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routeName(path);
    res.on('finish', () => metrics.httpRequests.inc({ route, status: String(res.statusCode) }));
    handle(route, req, res, routes()).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy(error as Error);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Route =
  | 'graphql'
  | 'graphiql'
  | 'console'
  | 'jwks'
  | 'issuer'
  | 'status_list'
  | 'healthz'
  | 'readyz'
  | 'partner_events'
  | 'payment_notify'
  | 'activity_imports'
  | 'partner_statement'
  | 'not_found';

const STATUS_LISTS = /^\/\.well-known\/status-lists(?:\/([a-z0-9][a-z0-9-]{0,62})(?:\/([1-9][0-9]{0,8}))?)?$/;
/** GraphQL request bodies (the runtime's own default limit). */
const MAX_GRAPHQL_BYTES = 25_000_000;
/**
 * Deepest nesting of arrays and objects a GraphQL body may have. Real operations' variables
 * stay far below; thousands of levels would only overflow the stack of whoever walks them
 * (the gateway's checks, a subgraph's coercion).
 */
const MAX_JSON_DEPTH = 64;

function routeName(path: string): Route {
  if (PARTNER_EVENTS_PATH.test(path)) return 'partner_events';
  if (PAYMENT_NOTIFY_PATH.test(path)) return 'payment_notify';
  if (ACTIVITY_IMPORTS_PATH.test(path)) return 'activity_imports';
  if (PARTNER_STATEMENT_PATH.test(path)) return 'partner_statement';
  if (STATUS_LISTS.test(path)) return 'status_list';
  if (CONSOLE_PATH.test(path)) return 'console';
  if (path.startsWith(GRAPHIQL_ASSETS_PATH)) return 'graphiql'; // the IDE's assets: the gateway has them when it shows the IDE
  switch (path) {
    case '/graphql':
      return 'graphql';
    case '/.well-known/jwks.json':
      return 'jwks';
    case '/.well-known/entitlement-issuer':
      return 'issuer';
    case '/healthz':
    case '/readyz':
      return path.slice(1) as Route;
    default:
      return 'not_found';
  }
}

async function handle(route: Route, req: http.IncomingMessage, res: http.ServerResponse, routes: PublicRoutes | undefined): Promise<void> {
  if (route === 'healthz') {
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  if (!routes) {
    res.setHeader('retry-after', '1');
    sendJson(res, 503, route === 'readyz' ? { status: 'unavailable', problems: ['starting'] } : { error: 'starting' });
    return;
  }
  if (route === 'graphql' || route === 'graphiql') {
    const gateway = routes.gateway;
    if (req.method === 'POST' && /json/i.test(req.headers['content-type'] ?? '')) {
      const body = Number(req.headers['content-length'] ?? 0) > MAX_GRAPHQL_BYTES ? null : await readRawBody(req, MAX_GRAPHQL_BYTES);
      if (body === null) {
        res.setHeader('connection', 'close'); // the rest of the body is not read
        sendJson(res, 413, { errors: [{ message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } }] });
        return;
      }
      if (jsonDepth(body) > MAX_JSON_DEPTH) {
        sendJson(res, 400, { errors: [{ message: `Request body nested deeper than ${MAX_JSON_DEPTH} levels`, extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
      const parsed = parsedGraphQLBody(body);
      (req as { body?: unknown }).body = parsed;
      if (route === 'graphql' && routes.fastLane && !Buffer.isBuffer(parsed) && /application\/json/i.test(req.headers['content-type'] ?? '') && (await routes.fastLane.serve(req, res, parsed as Record<string, unknown>))) return;
    }
    await gateway(req, res);
    return;
  }
  if (route === 'partner_events' && routes.partnerEvents) {
    await servePartnerEvent(req, res, routes.partnerEvents);
    return;
  }
  if (route === 'payment_notify' && routes.paymentNotifications) {
    await servePaymentNotification(req, res, routes.paymentNotifications);
    return;
  }
  if (route === 'console' && routes.console) {
    await serveConsole(req, res, routes.console);
    return;
  }
  if (route === 'activity_imports' && routes.activityImports) {
    await serveActivityImports(req, res, routes.activityImports);
    return;
  }
  if (route === 'partner_statement' && routes.partnerStatements) {
    await servePartnerStatement(req, res, routes.partnerStatements);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  switch (route) {
    case 'jwks': {
      // Partners cache the key set; rotation publishes new keys well before they sign.
      res.setHeader('cache-control', routes.jwksCacheControl ?? 'public, max-age=300, stale-while-revalidate=60');
      const body = JSON.stringify(await routes.jwks());
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      res.setHeader('etag', etag);
      if (matchesEtag(req.headers['if-none-match'], etag)) {
        res.statusCode = 304;
        res.end();
        return;
      }
      res.statusCode = 200;
      res.setHeader('content-type', 'application/jwk-set+json; charset=utf-8');
      res.end(body);
      return;
    }
    case 'status_list':
      await serveStatusList(req, res, routes.statusLists);
      return;
    case 'issuer':
      res.setHeader('cache-control', 'public, max-age=3600');
      sendJson(res, 200, routes.issuerMetadata());
      return;
    case 'readyz': {
      const problems = await routes.readiness();
      sendJson(res, problems.length ? 503 : 200, problems.length ? { status: 'unavailable', problems } : { status: 'ready' });
      return;
    }
    default:
      sendJson(res, 404, { error: 'not found' });
  }
}

/**
 * The status lists (IETF Token Status List): public, like the JWKS, since a list tells
 * nothing without a token naming an entry. A list is a `statuslist+jwt` cacheable for what
 * is left of its `ttl`; the index and a partner's aggregation are JSON.
 */
async function serveStatusList(req: http.IncomingMessage, res: http.ServerResponse, lists: StatusListRoutes | undefined): Promise<void> {
  const [, partnerId, ordinal] = STATUS_LISTS.exec((req.url ?? '').split('?')[0] ?? '') ?? [];
  res.setHeader('access-control-allow-origin', '*');
  if (!lists) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  if (partnerId === undefined || ordinal === undefined) {
    const body = partnerId === undefined ? await lists.index() : await lists.aggregation(partnerId);
    if (body === null) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    res.setHeader('cache-control', 'public, max-age=60');
    sendJson(res, 200, body);
    return;
  }
  const published = await lists.publish(partnerId, Number(ordinal));
  if (!published) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  res.setHeader('cache-control', `public, max-age=${published.maxAgeSeconds}`);
  // Weak: the gzip and identity encodings of one list are the same list.
  res.setHeader('etag', `W/${published.etag}`);
  if (matchesEtag(req.headers['if-none-match'], published.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('content-type', STATUS_LIST_MEDIA_TYPE);
  res.setHeader('vary', 'accept-encoding');
  if (acceptsGzip(req.headers['accept-encoding'])) {
    res.setHeader('content-encoding', 'gzip');
    res.end(published.gzipped);
    return;
  }
  res.end(published.token);
}

/** The deepest nesting of arrays and objects in a JSON text, counted without parsing it (strings skipped). */
function jsonDepth(body: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * A JSON GraphQL body for the gateway as `req.body`. A parsed object makes the runtime's
 * request adapter hand it to GraphQL Yoga as is; a stream body instead goes through Yoga's
 * size-limiting TransformStream + stream.pipeline, which cost ~0.2 ms of gateway CPU per
 * request (measured). Anything that is not a non-empty JSON object stays raw bytes, so
 * Yoga answers it exactly as before (its JSON and parameter errors).
 */
function parsedGraphQLBody(body: Buffer): unknown {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).length > 0) return parsed;
  } catch {
    // Yoga reports the syntax error from the raw bytes.
  }
  return body;
}
