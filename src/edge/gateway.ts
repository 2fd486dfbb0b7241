import { createGatewayRuntime, type GatewayPlugin, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import httpTransport from '@graphql-mesh/transport-http';
import {
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  valueFromASTUntyped,
  visit,
} from 'graphql';
import { AppError, type ErrorCatalog, type InputProblem } from '../platform/errors.js';
import { graphiqlAssetsPlugin, renderGraphiQL } from './graphiql.js';
import { isRegisteredSubgraphName } from '../composition/supergraph-source.js';
import { thirdPartySubgraphsPlugin, type ThirdPartySubgraphsOptions } from './third-party-subgraphs.js';
import { CSRF_HEADERS, DEFAULT_GRAPHQL_LIMITS, graphqlLimitsPlugins, type GraphqlLimits } from './graphql-limits.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from './metrics.js';
import { rateLimitPlugin, type RateLimitPluginOptions } from './rate-limit.js';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../../partners/sdk/index.js';

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
}

/** Headers the gateway forwards to our subgraphs. */
const FORWARDED = ['authorization', 'accept-language', 'x-request-id'] as const;
/** Headers the gateway forwards to partners' own registered subgraphs (plus a member assertion, see third-party-subgraphs.ts). */
const FORWARDED_TO_THIRD_PARTIES = ['accept-language', 'x-request-id'] as const;

/**
 * The federation gateway: Hive Gateway's runtime with Hive Router's Rust query planner
 * (chosen by measurement, docs/decisions.md), forwarding the caller's credential,
 * language and request id to the subgraphs.
 */
export function createGateway(options: GatewayOptions): GatewayRuntime {
  return createGatewayRuntime({
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
      allowedHeaders: ['authorization', 'content-type', 'accept-language', 'x-request-id', ...CSRF_HEADERS],
      // Browser apps need these to back off politely and to quote a request id to support.
      exposedHeaders: ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id'],
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
      ...(options.graphiql ? [graphiqlAssetsPlugin()] : []),
      ...(options.thirdParties ? [thirdPartySubgraphsPlugin(options.thirdParties)] : []),
      signSubgraphRequests(options.subgraphSecret, options.signs ?? (() => true)),
      subgraphTimeout(options.upstreamTimeoutMs ?? 10_000),
      ...(options.rateLimit ? [rateLimitPlugin(options.rateLimit)] : []),
      ...graphqlLimitsPlugins(options.limits ?? DEFAULT_GRAPHQL_LIMITS, { fieldSuggestions: options.introspection ?? true }),
      knownOperationTypes(),
      answerBeforePlanning(),
      {
        onExecute({ args }: { args: ExecutionArgs }) {
          const started = performance.now();
          const operation = getOperationAST(args.document, args.operationName);
          return {
            onExecuteDone({ result }: { result: unknown }) {
              const errors = hasErrors(result);
              options.metrics.recordOperation(
                operation?.name?.value ?? args.operationName,
                operation?.operation ?? 'unknown',
                errors ? 'error' : 'ok',
                (performance.now() - started) / 1000,
              );
            },
          };
        },
        // Last step before the response is written, after the runtime annotated subgraph errors.
        onResultProcess({ result, setResult }: { result: unknown; setResult: (result: unknown) => void }) {
          const errors = (result as { errors?: GraphQLError[] } | null)?.errors;
          if (!Array.isArray(errors) || errors.length === 0) return;
          const normalized = errors.map((e) => {
            const answer = normalizeGatewayError(e, options.errors, options.development ?? false);
            // The client learns nothing; the log says what broke (subgraphs log their own).
            if (answer !== e && answer.extensions.code === 'INTERNAL_SERVER_ERROR' && e.extensions?.code !== 'INTERNAL_SERVER_ERROR') {
              options.logger?.error({ err: e.originalError ?? e, path: e.path, message: e.message }, 'internal error at the gateway');
            }
            return answer;
          });
          // Replacing the result loses the HTTP status Yoga derived for request errors: only when needed.
          if (normalized.some((e, i) => e !== errors[i])) setResult({ ...(result as object), errors: normalized });
        },
      },
    ],
  });
}

/**
 * Per-subgraph-request timeout: a 504 GraphQL error with code GATEWAY_TIMEOUT, as the
 * runtime's `upstreamTimeout` option gives. That option cost ~0.1-0.2 ms of gateway CPU
 * per request (measured): per subgraph call it makes two AbortSignal.timeout signals and
 * combines them with abortSignalAny, whose listeners on a process-lifetime signal stay
 * registered until GC, so every later addEventListener walks a longer list, and each
 * timeout signal stays referenced until it fires 10 s later. Here: one AbortController and
 * one timer per fetch, both released when the response headers arrive (subgraphs answer
 * in one piece, so that is nearly the whole answer).
 */
function subgraphTimeout(ms: number): GatewayPlugin {
  return {
    onFetch({ fetchFn, setFetchFn }) {
      setFetchFn((url, init, context, info) => {
        const controller = new AbortController();
        const outer = init?.signal ?? undefined;
        const onOuterAbort = () => controller.abort(outer?.reason);
        if (outer?.aborted) controller.abort(outer.reason);
        else outer?.addEventListener('abort', onOuterAbort, { once: true });
        return new Promise<Awaited<ReturnType<typeof fetchFn>>>((resolve, reject) => {
          const timer = setTimeout(() => {
            controller.abort();
            reject(
              new GraphQLError(`Subgraph request timed out after ${ms} ms`, {
                extensions: { code: 'GATEWAY_TIMEOUT', http: { status: 504 } },
              }),
            );
          }, ms);
          const settle = () => {
            clearTimeout(timer);
            outer?.removeEventListener('abort', onOuterAbort);
          };
          Promise.resolve()
            .then(() => fetchFn(url, { ...init, signal: controller.signal }, context, info))
            .then(
              (response) => (settle(), resolve(response)),
              (error: unknown) => (settle(), reject(error)),
            );
        });
      });
    },
  };
}

/**
 * Refuses an operation whose root type the schema lacks (a `subscription` here) as a
 * validation error: graphql-js 16 does not check it (v17's KnownOperationTypesRule does), and
 * the query planner then fails without a code ("Schema type 'Subscription' not found").
 */
function knownOperationTypes(): GatewayPlugin {
  const rule: ValidationRule = (context) => ({
    OperationDefinition(node) {
      const schema = context.getSchema();
      const root = node.operation === 'query' ? schema.getQueryType() : node.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      if (!root) context.reportError(new GraphQLError(`Schema is not configured to execute ${node.operation} operation.`, { nodes: node }));
    },
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}

/**
 * What can be answered from the operation and its variables alone, before the query planner
 * sees them:
 * - variables that do not coerce: their errors, as execution would report them (the planner
 *   runs first and would fail on what the variables were meant to decide);
 * - a string argument holding U+0000 or a lone surrogate: BAD_USER_INPUT. PostgreSQL text
 *   cannot store NUL, and a lone surrogate has no UTF-8 form (the driver turns it into U+FFFD,
 *   jsonb refuses it): no such value is ever valid, and refusing it here keeps it from every
 *   service;
 * - root fields all skipped (`@skip`/`@include`), or only `__typename`: the data. Hive
 *   Router's planner fails on an empty root selection ("Failed to build a plan", a 500) and
 *   the runtime drops `data` from an empty plan's result (`{}`), where GraphQL says
 *   `{ "data": {} }`.
 */
function answerBeforePlanning(): GatewayPlugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
      if (coerced.errors) {
        setResultAndStopExecution({ errors: coerced.errors });
        return;
      }
      const unstorable = unstorableText(args.document, coerced.coerced);
      if (unstorable.length > 0) {
        setResultAndStopExecution({ errors: [AppError.badInput(unstorable)] });
        return;
      }
      const keys = rootResponseKeys(args.document, operation, coerced.coerced);
      if (!keys || [...keys.values()].some((field) => field !== '__typename')) return;
      const rootType = operation.operation === 'mutation' ? args.schema.getMutationType() : operation.operation === 'subscription' ? args.schema.getSubscriptionType() : args.schema.getQueryType();
      if (!rootType) return;
      setResultAndStopExecution({ data: Object.fromEntries([...keys.keys()].map((key) => [key, rootType.name])) });
    },
  };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Arguments of the document whose value (variables resolved) holds text no database column can. */
function unstorableText(document: DocumentNode, variables: Record<string, unknown>): InputProblem[] {
  const problems: InputProblem[] = [];
  const strings = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.flatMap(strings)
        : value !== null && typeof value === 'object'
          ? Object.values(value).flatMap(strings)
          : [];
  visit(document, {
    Argument(node) {
      const texts = strings(valueFromASTUntyped(node.value, variables));
      if (texts.some((t) => t.includes('\u0000'))) problems.push({ field: node.name.value, message: 'must not contain the NUL character (U+0000)' });
      if (texts.some((t) => LONE_SURROGATE.test(t))) problems.push({ field: node.name.value, message: 'must be well-formed Unicode (a lone surrogate is not)' });
    },
  });
  return problems;
}

/** Response key -> field name of the root fields that run with these variables; undefined when unsure. */
function rootResponseKeys(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): Map<string, string> | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const keys = new Map<string, string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode): boolean => {
    for (const selection of set.selections) {
      if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) continue;
      if (getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if === false) continue;
      if (selection.kind === Kind.FIELD) keys.set(selection.alias?.value ?? selection.name.value, selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!walk(selection.selectionSet)) return false;
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) return false;
        if (seen.has(fragment.name.value)) continue;
        seen.add(fragment.name.value);
        if (!walk(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return walk(operation.selectionSet) ? keys : undefined;
}

/**
 * Signs each subgraph request body (HMAC-SHA256 with a timestamp, see subgraph-signature.ts):
 * the authenticated hop that makes subgraphs answer the gateway only. Header-based rather
 * than the runtime's `hmacSignature` option, whose verifier is a Yoga plugin (our subgraphs
 * are Apollo Server) and which signs into `extensions`, after the body is already parsed.
 */
function signSubgraphRequests(secret: string, signs: (url: string) => boolean): GatewayPlugin {
  return {
    onFetch({ url, options, setOptions }) {
      if (!signs(url)) return;
      const body = typeof options.body === 'string' ? options.body : '';
      setOptions({ ...options, headers: { ...options.headers, [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(secret, body) } });
    },
  };
}

function hasErrors(result: unknown): boolean {
  const errors = (result as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.length > 0;
}

function withoutKey(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}

/**
 * What a client may see of an error the gateway assembled: a subgraph's coded error keeps
 * its code, message and its own fields; a subgraph that failed (down, timed out, answered
 * garbage) becomes DOWNSTREAM_SERVICE_ERROR naming the service, never the internal
 * request the gateway sent it (which carries entity ids and the query plan).
 */
export function normalizeGatewayError(error: GraphQLError, errors: ErrorCatalog, development: boolean): GraphQLError {
  const extensions = (error.extensions ?? {}) as Record<string, unknown>;
  const code = typeof extensions.code === 'string' ? extensions.code : undefined;
  const serviceName = typeof extensions.serviceName === 'string' ? extensions.serviceName : undefined;
  const internal = serviceName !== undefined || 'request' in extensions || 'response' in extensions;
  // The gateway's own request errors (parse, validation, a malformed body) are fit to show;
  // those graphql-js leaves uncoded get the code Apollo Server gives them, anything else
  // uncoded is internal, as the subgraphs' formatError has it.
  if (!internal) {
    if (code && !('originalError' in extensions)) return error;
    // Yoga attaches the exception behind a malformed body (a JSON SyntaxError): not for
    // clients. Still a 400, which replacing the result would otherwise lose.
    if (code) {
      return new GraphQLError(error.message, {
        ...(error.nodes ? { nodes: error.nodes } : {}),
        extensions: { ...withoutKey(extensions, 'originalError'), http: { status: 400 } },
      });
    }
    const coded = (newCode: string) =>
      new GraphQLError(error.message, { ...(error.nodes ? { nodes: error.nodes } : {}), ...(error.path ? { path: error.path } : {}), extensions: { ...extensions, code: newCode } });
    if (/^Variable "\$[^"]+" /.test(error.message)) return coded('BAD_USER_INPUT');
    if (/^(Unknown operation named|Must provide operation name|Must provide an operation)/.test(error.message)) return coded('OPERATION_RESOLUTION_FAILURE');
    return new GraphQLError('Internal server error', {
      ...(error.path ? { path: error.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(development ? { detail: error.message } : {}) },
    });
  }
  const spec = code ? errors.spec(code) : undefined;
  if (!code || !spec) {
    const service = serviceName?.startsWith('ext-') ? serviceName.slice(4) : (serviceName ?? 'a partner service');
    return new GraphQLError(`Partner service ${service} is unavailable`, {
      ...(error.path ? { path: error.path } : {}),
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service },
    });
  }
  // Exactly the fields the error table declares for this code (and the stack in development).
  const kept: Record<string, unknown> = { code };
  for (const key of spec.extensions) if (key in extensions) kept[key] = extensions[key];
  if (development && 'stacktrace' in extensions) kept.stacktrace = extensions.stacktrace;
  return new GraphQLError(error.message, {
    ...(error.path ? { path: error.path } : {}),
    ...(error.nodes ? { nodes: error.nodes } : {}),
    extensions: kept,
  });
}
