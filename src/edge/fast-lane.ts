import http from 'node:http';
import type { GatewayPlugin, GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { useQueryPlan } from '@graphql-hive/router-runtime';
import {
  getNamedType,
  getOperationAST,
  GraphQLError,
  isEnumType,
  isObjectType,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../../partners/sdk/index.js';
import type { Metrics } from './metrics.js';
import { answerFromOperation } from './plugins/answer-before-planning.js';
import { rateLimitHeaders, takeForOperation, type RateLimitDecision, type RateLimitPluginOptions } from './plugins/rate-limit.js';
import { slowestRootField } from './plugins/subgraph-timeout.js';

/**
 * The gateway's fast lane: an operation it has already run through the whole runtime (parsed,
 * validated, limited, planned) whose plan is one fetch from one of our subgraphs, and whose
 * answer has the shape of the client's operation (same response keys, in the same order, no
 * type conditions, no `@skip`/`@include`, no enum with hidden values), is served next time
 * without the runtime: its variables checked as the runtime checks them (answer-before-planning),
 * the caller's rate limit taken, the planned subgraph operation sent signed with the
 * forwarded headers over a kept-alive connection, and an answer of only `data` relayed as is
 * (what the runtime's projection would produce from it), with the headers the runtime would
 * add (content type, rate limit, CORS) and the operation counted in the metrics.
 *
 * Anything else is the runtime's: an operation not seen yet, on a schema that changed since,
 * variables that do not coerce, a rate limit refusal, an answer with errors, a subgraph that
 * failed or timed out. When the subgraph has been called already, its answer (or failure) is
 * handed to the runtime, which replays it instead of calling again ({@link FastLane.plugin}):
 * a mutation is never sent twice, and every error is shaped by the runtime and our error
 * normalization exactly as on the full path.
 * Why: docs/decisions.md, "Gateway CPU: the follow-up".
 */
export interface FastLaneOptions {
  /** Our own subgraphs by name (those the gateway signs requests to); partners' registered ones are never here. */
  subgraphUrls: ReadonlyMap<string, string>;
  subgraphSecret: string;
  metrics: Metrics;
  /** The runtime's CORS options (origins, allowed and exposed headers), for the same headers. */
  cors: { origin: readonly string[]; allowedHeaders: readonly string[]; exposedHeaders: readonly string[] };
  forwardedHeaders: readonly string[];
  rateLimit?: RateLimitPluginOptions;
  persistedOperations?: { operations: ReadonlyMap<string, string>; only: boolean };
  upstreamTimeoutMs: number;
  slowFields: Readonly<Record<string, number>>;
}

interface Fetch {
  url: URL;
  /** As the runtime names it when it fetches. */
  urlText: string;
  /** The planned subgraph operation. */
  operation: string;
  variableUsages: readonly string[];
  timeoutMs: number;
}

interface Entry {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Set once a run showed the plan is one fetch whose answer can be relayed. */
  fetch?: Fetch;
  /** A run was planned: `fetch` is what it will be (else the next run looks again). */
  planned: boolean;
}

/** What the subgraph answered a fast-lane request that the runtime then takes over. */
type Replay = { url: string; operation: string } & ({ response: { status: number; statusText: string; contentType: string | undefined; body: string } } | { error: unknown });

const MAX_ENTRIES = 2_000;
const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';
/**
 * Kept-alive connections to our subgraphs. `timeout` must be set: Node's agent lets an idle
 * socket go before the server's announced `Keep-Alive: timeout=N` only when it has a timeout of
 * its own to shorten (without one it keeps idle sockets forever, the subgraph closes them after
 * its 5 s, and a request sent on one just then fails with ECONNRESET: a redemption answered
 * DOWNSTREAM_SERVICE_ERROR twice in a 10-minute soak).
 */
export const subgraphAgent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo', timeout: 60_000 });

export class FastLane {
  private readonly entries = new Map<string, Entry>();
  private gateway: GatewayRuntime | undefined;
  /** Rate limit decisions taken here for requests handed on, so the runtime's plugin does not charge them again. */
  readonly admitted = new WeakMap<object, RateLimitDecision>();
  private readonly replays = new WeakMap<object, Replay>();

  constructor(private readonly options: FastLaneOptions) {}

  /** The runtime the lane stands beside: its current schema decides whether what was learned still holds. */
  attach(gateway: GatewayRuntime): void {
    this.gateway = gateway;
  }

  /** Forgets every operation learned (the supergraph changed). */
  clear(): void {
    this.entries.clear();
  }

  /**
   * The runtime plugin that learns operations (first among the plugins that see subgraph
   * fetches, so it can replay an answer the lane already received).
   */
  plugin(): GatewayPlugin {
    let captured: unknown;
    const queryPlans = useQueryPlan({ onQueryPlan: (plan) => void (captured = plan) });
    return {
      onFetch: ({ context, url, options, setFetchFn, endResponse }) => {
        const req = (context as { req?: object } | undefined)?.req;
        const replay = req ? this.replays.get(req) : undefined;
        if (!replay || !req) return;
        this.replays.delete(req);
        // Only the fetch the lane made (a supergraph changed in between plans anew: that fetch goes out).
        if (url !== replay.url || !sendsOperation(options.body, replay.operation)) return;
        if ('error' in replay) {
          setFetchFn((() => Promise.reject(replay.error)) as never);
          return;
        }
        const { status, statusText, contentType, body } = replay.response;
        endResponse(new Response(body, { status, statusText, headers: contentType ? { 'content-type': contentType } : {} }) as never);
      },
      onExecute: (payload) => {
        const { args } = payload;
        const params = (args.contextValue as { params?: { query?: unknown; operationName?: unknown } }).params;
        if (typeof params?.query !== 'string') return;
        const operationName = typeof params.operationName === 'string' ? params.operationName : params.operationName == null ? '' : undefined;
        if (operationName === undefined) return;
        const operation = getOperationAST(args.document, args.operationName);
        if (!operation || operation.operation === 'subscription') return;
        const key = entryKey(params.query, operationName);
        const known = this.entries.get(key);
        if (known && known.schema === args.schema && known.planned) return;
        const entry: Entry = { schema: args.schema, document: args.document, operation, planned: false };
        const inner = queryPlans.onExecute!(payload as never) as { onExecuteDone?: (done: unknown) => void } | undefined;
        return {
          onExecuteDone: ({ result }: { result: unknown }) => {
            captured = undefined;
            inner?.onExecuteDone?.({ result, args, setResult: () => undefined });
            const plan = captured;
            captured = undefined;
            entry.planned = plan !== undefined;
            const fetch = relayableFetch(plan, entry, this.options);
            if (fetch) entry.fetch = fetch;
            if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
            this.entries.set(key, entry);
          },
        };
      },
    };
  }

  /**
   * Serves a parsed JSON POST to /graphql when it can; false when the runtime must (nothing
   * was written then, and the runtime replays whatever the lane already received).
   */
  async serve(req: http.IncomingMessage, res: http.ServerResponse, body: Record<string, unknown>): Promise<boolean> {
    const started = performance.now();
    const contentType = responseType(req.headers.accept);
    if (!contentType) return false;
    const text = this.documentText(body);
    if (text === undefined) return false;
    const operationName = body.operationName == null ? '' : typeof body.operationName === 'string' ? body.operationName : undefined;
    if (operationName === undefined) return false;
    const variables = body.variables == null ? undefined : typeof body.variables === 'object' && !Array.isArray(body.variables) ? (body.variables as Record<string, unknown>) : null;
    if (variables === null) return false;
    const entry = this.entries.get(entryKey(text, operationName));
    if (!entry || !this.gateway || this.gateway.getSchema() !== entry.schema) return false;

    const answer = answerFromOperation(entry.schema, entry.document, entry.operation, variables);
    if (answer.result?.errors || !answer.variables) return false;
    if (!answer.result && !entry.fetch) return false;

    let decision: RateLimitDecision | undefined;
    if (this.options.rateLimit) {
      const taken = await takeForOperation(this.options.rateLimit, header(req, 'authorization'), header(req, 'x-forwarded-for'), req, entry.document, entry.operation);
      if (!taken.decision.allowed) return false;
      decision = taken.decision;
      this.admitted.set(req, decision);
    }

    let data: unknown;
    if (answer.result) data = answer.result.data;
    else {
      const fetched = await this.fetch(entry.fetch!, req, answer.variables);
      if ('replay' in fetched) {
        this.replays.set(req, fetched.replay);
        return false;
      }
      data = fetched.data;
    }

    const payload = JSON.stringify({ data });
    res.statusCode = 200;
    res.setHeader('content-type', contentType);
    for (const [name, value] of Object.entries(corsHeaders(req, this.options.cors))) res.setHeader(name, value);
    if (decision) for (const [name, value] of Object.entries(rateLimitHeaders(decision))) res.setHeader(name, value);
    res.setHeader('content-length', Buffer.byteLength(payload));
    res.end(payload);
    this.options.metrics.fastLane.inc();
    this.options.metrics.recordOperation(entry.operation.name?.value ?? (operationName || undefined), entry.operation.operation, 'ok', (performance.now() - started) / 1000);
    return true;
  }

  /** The document a body asks for, as the runtime resolves it (persisted operations included); undefined when unsure. */
  private documentText(body: Record<string, unknown>): string | undefined {
    for (const key in body) if (key !== 'query' && key !== 'operationName' && key !== 'variables' && key !== 'extensions') return undefined;
    const persisted = this.options.persistedOperations;
    if (typeof body.query === 'string') {
      if (body.extensions != null || (persisted && persisted.only)) return undefined;
      return body.query;
    }
    if (body.query != null || !persisted) return undefined;
    const pq = (body.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
    if (!pq || pq.version !== 1 || typeof pq.sha256Hash !== 'string' || Object.keys(body.extensions as object).length !== 1) return undefined;
    return persisted.operations.get(pq.sha256Hash);
  }

  /** Sends the planned operation; `data` when the answer is only data, else what the runtime is to replay. */
  private fetch(fetch: Fetch, req: http.IncomingMessage, variables: Record<string, unknown>): Promise<{ data: unknown } | { replay: Replay }> {
    const used: Record<string, unknown> = {};
    let any = false;
    for (const name of fetch.variableUsages) {
      if (name in variables) {
        used[name] = variables[name];
        any = true;
      }
    }
    const body = JSON.stringify(any ? { query: fetch.operation, variables: used } : { query: fetch.operation });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    for (const name of this.options.forwardedHeaders) {
      const value = header(req, name);
      if (value) headers[name] = value;
    }
    headers[SUBGRAPH_SIGNATURE_HEADER] = signSubgraphRequest(this.options.subgraphSecret, body);
    const sent = { url: fetch.urlText, operation: fetch.operation };
    return new Promise((resolve) => {
      let settled = false;
      const done = (value: { data: unknown } | { replay: Replay }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const request = http.request(fetch.url, { method: 'POST', headers, agent: subgraphAgent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => done({ replay: { ...sent, error } }));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const replay: Replay = {
            ...sent,
            response: { status: response.statusCode ?? 502, statusText: response.statusMessage ?? '', contentType: response.headers['content-type'], body: text },
          };
          if (response.statusCode !== 200 || !/json/i.test(response.headers['content-type'] ?? '')) return done({ replay });
          try {
            const parsed = JSON.parse(text) as unknown;
            if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
              const keys = Object.keys(parsed);
              const data = (parsed as { data?: unknown }).data;
              if (keys.length === 1 && keys[0] === 'data' && data && typeof data === 'object' && !Array.isArray(data)) return done({ data });
            }
          } catch {
            // The runtime says what was wrong with it.
          }
          done({ replay });
        });
      });
      // As subgraph-timeout.ts answers a subgraph that takes too long.
      const timer = setTimeout(() => {
        request.destroy();
        done({
          replay: {
            ...sent,
            error: new GraphQLError(`Subgraph request timed out after ${fetch.timeoutMs} ms`, { extensions: { code: 'GATEWAY_TIMEOUT', http: { status: 504 } } }),
          },
        });
      }, fetch.timeoutMs);
      request.on('error', (error) => done({ replay: { ...sent, error } }));
      request.end(body);
    });
  }
}

/** Whether a subgraph request body sends `operation`. */
function sendsOperation(body: unknown, operation: string): boolean {
  try {
    return typeof body === 'string' && (JSON.parse(body) as { query?: unknown }).query === operation;
  } catch {
    return false;
  }
}

function entryKey(text: string, operationName: string): string {
  return `${operationName}\u0000${text}`;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The content type the runtime answers with for this Accept header; undefined when the lane should not guess. */
function responseType(accept: string | undefined): string | undefined {
  if (!accept) return JSON_TYPE;
  const first = accept.split(',', 1)[0]!.split(';', 1)[0]!.trim().toLowerCase();
  if (first === '*/*' || first === 'application/json') return JSON_TYPE;
  if (first === 'application/graphql-response+json') return GRAPHQL_RESPONSE_TYPE;
  return undefined;
}

/** The headers the runtime's CORS handling (@whatwg-node/server's useCORS) adds to a response, for our options. */
export function corsHeaders(req: http.IncomingMessage, cors: FastLaneOptions['cors']): Record<string, string> {
  const origin = header(req, 'origin');
  if (origin === undefined) return {};
  const headers: Record<string, string> = {};
  if (cors.origin.length === 0 || cors.origin.includes('*')) {
    headers['access-control-allow-origin'] = origin;
    headers.vary = 'Origin';
  } else if (cors.origin.length === 1) headers['access-control-allow-origin'] = cors.origin[0]!;
  else if (cors.origin.includes(origin)) {
    headers['access-control-allow-origin'] = origin;
    headers.vary = 'Origin';
  } else headers['access-control-allow-origin'] = 'null';
  const method = header(req, 'access-control-request-method');
  if (method) headers['access-control-allow-methods'] = method;
  if (cors.allowedHeaders.length) headers['access-control-allow-headers'] = cors.allowedHeaders.join(', ');
  headers['access-control-allow-credentials'] = 'true';
  headers['access-control-expose-headers'] = cors.exposedHeaders.join(', ');
  return headers;
}

/** The plan's one fetch, when the lane can send it and relay its answer; undefined otherwise. */
function relayableFetch(plan: unknown, entry: Entry, options: FastLaneOptions): Fetch | undefined {
  const node = (plan as { node?: Record<string, unknown> } | undefined)?.node;
  if (!node || node.kind !== 'Fetch') return undefined;
  if (node.requires || node.inputRewrites || node.outputRewrites || typeof node.operation !== 'string' || typeof node.serviceName !== 'string') return undefined;
  if ((node.operationKind ?? 'query') !== entry.operation.operation) return undefined;
  const url = options.subgraphUrls.get(node.serviceName);
  if (!url) return undefined;
  const variableUsages = Array.isArray(node.variableUsages) ? (node.variableUsages as unknown[]).filter((v): v is string => typeof v === 'string') : [];
  // The answer is relayed as is: it must have exactly the shape the client asked for.
  const root = entry.operation.operation === 'mutation' ? entry.schema.getMutationType() : entry.schema.getQueryType();
  if (!root) return undefined;
  const clientShape = shapeOf(entry.operation.selectionSet, fragmentsOf(entry.document), root);
  let subgraphDocument: DocumentNode;
  try {
    subgraphDocument = parse(node.operation, { noLocation: true });
  } catch {
    return undefined;
  }
  const subgraphOperation = getOperationAST(subgraphDocument);
  if (!clientShape || !subgraphOperation) return undefined;
  // Typed against the supergraph too: the planner factors repeated selections into fragments (`fragment a on Money`).
  const subgraphShape = shapeOf(subgraphOperation.selectionSet, fragmentsOf(subgraphDocument), root);
  if (!subgraphShape || JSON.stringify(clientShape) !== JSON.stringify(subgraphShape)) return undefined;
  return {
    url: new URL(url),
    urlText: url,
    operation: node.operation,
    variableUsages,
    timeoutMs: slowestRootField(entry.document, options.slowFields) ?? options.upstreamTimeoutMs,
  };
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

/** Response key, field name and sub-shape, in response order. */
type Shape = Array<[string, string, Shape | null]>;

/**
 * The shape of the answer to a selection set: response keys in order, fields of one key merged.
 * Undefined when it depends on more than the document: directives, type conditions other than
 * the parent type, abstract types, an enum with values the gateway hides, a field the
 * supergraph does not have (both the client's operation and the planned subgraph operation are
 * walked against the supergraph's types).
 */
function shapeOf(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, type: GraphQLObjectType | undefined): Shape | undefined {
  const byKey = new Map<string, { name: string; sets: SelectionSetNode[] }>();
  const collect = (selections: SelectionSetNode, seen: Set<string>): boolean => {
    for (const selection of selections.selections) {
      if (selection.directives?.length) return false;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const known = byKey.get(key);
        if (known && known.name !== selection.name.value) return false;
        const entry = known ?? { name: selection.name.value, sets: [] };
        if (selection.selectionSet) entry.sets.push(selection.selectionSet);
        byKey.set(key, entry);
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) return false;
        if (fragment.typeCondition && (!type || fragment.typeCondition.name.value !== type.name)) return false;
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (seen.has(selection.name.value)) continue;
          seen.add(selection.name.value);
        }
        if (!collect(fragment.selectionSet, seen)) return false;
      }
    }
    return true;
  };
  if (!collect(set, new Set())) return undefined;
  const shape: Shape = [];
  for (const [key, { name, sets }] of byKey) {
    let child: GraphQLObjectType | undefined;
    if (type) {
      if (name === '__typename') {
        if (sets.length) return undefined;
        shape.push([key, name, null]);
        continue;
      }
      const field = type.getFields()[name];
      if (!field) return undefined;
      const named = getNamedType(field.type);
      if (isEnumType(named) && named.getValues().some((v) => v.astNode?.directives?.some((d) => d.name.value === 'inaccessible'))) return undefined;
      if (sets.length) {
        if (!isObjectType(named) || named.astNode?.directives?.some((d) => d.name.value === 'inaccessible')) return undefined;
        child = named;
      }
    }
    if (!sets.length) {
      shape.push([key, name, null]);
      continue;
    }
    const merged: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: sets.flatMap((s) => s.selections) };
    const sub = shapeOf(merged, fragments, child);
    if (!sub) return undefined;
    shape.push([key, name, sub]);
  }
  return shape;
}
