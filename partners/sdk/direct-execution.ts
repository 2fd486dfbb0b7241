import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { SubgraphLogger as Logger } from './logger.js';

/**
 * A subgraph's direct lane: an operation Apollo Server has already answered (parsed, validated,
 * executed: a 200 with data) is, next time, executed straight on the same schema (compiled once
 * by graphql-jit, or by graphql-js)
 * with the same context, and its answer written as Apollo writes it (`{"errors","data"}` in that
 * order, errors enriched and formatted as Apollo does, the headers Apollo sent for it). What
 * Apollo's request pipeline costs per request (HTTP head negotiation, its plugin hooks, one
 * wrapper per field for the cache-control hints nobody reads here) is not paid again.
 *
 * Anything else stays Apollo's: a document not answered yet, a body with anything beyond
 * `query`, `variables` and `operationName` (persisted queries, extensions), variables that do
 * not coerce (nothing ran yet, so Apollo runs it again and answers its 400), a subscription.
 * Why: docs/decisions.md, "The subgraph's direct lane".
 */
export interface DirectExecutionOptions {
  /** The schema Apollo serves (the same object). */
  schema: GraphQLSchema;
  /** Apollo's `formatError` (called with the enriched error and the original, as Apollo calls it). */
  formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Apollo's `includeStacktraceInErrorResponses`. @default false */
  includeStacktraceInErrorResponses?: boolean;
  /** How many documents it keeps (the gateway sends a bounded set of query plans). @default 1000 */
  maxDocuments?: number;
  /**
   * Compile each document once with graphql-jit (a function per document: no per-field
   * interpretation of the AST on every request); false runs every one with graphql-js's
   * `execute`. A document graphql-jit cannot compile runs with graphql-js. @default true
   */
  compile?: boolean;
}

interface Prepared {
  document: DocumentNode;
  operationName: string | undefined;
  operationType: string;
  /** The headers Apollo answered this document with (content type and whatever its plugins set). */
  headers: ReadonlyArray<readonly [string, string]>;
  /** graphql-jit's function for it (undefined: graphql-js executes it). */
  compiled: CompiledQuery | undefined;
}

/** A body the lane can take: an operation by text, its variables and name, nothing else. */
export interface LaneRequest {
  /** The request's `Accept` ('' when absent): Apollo picks the answer's content type from it, so what is learnt is kept per value. */
  accept: string;
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

export interface LaneAnswer {
  status: number;
  headers: ReadonlyArray<readonly [string, string]>;
  body: string;
}

let executed = 0;

/** Operations the direct lanes of this process answered (tests tell the lane's answers from Apollo's by it). */
export function directlyExecuted(): number {
  return executed;
}

function keyOf(request: LaneRequest): string {
  return `${request.accept}\n${request.query}`;
}

/** What a run of the lane answered, with its errors as they were and as the client sees them. */
export interface LaneRun {
  answer: LaneAnswer;
  errors: readonly GraphQLError[] | undefined;
  formattedErrors: GraphQLFormattedError[] | undefined;
}

export class DirectExecution {
  private readonly documents = new Map<string, Prepared>();
  private readonly maxDocuments: number;

  constructor(private readonly options: DirectExecutionOptions) {
    this.maxDocuments = options.maxDocuments ?? 1000;
  }

  /** The lane's view of a parsed JSON body, or undefined when it is not one the lane takes. */
  static request(body: unknown, accept: string | undefined): LaneRequest | undefined {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const { query, variables, operationName, ...rest } = body as Record<string, unknown>;
    if (typeof query !== 'string' || Object.keys(rest).length > 0) return undefined;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
    return { accept: accept ?? '', query, variables: (variables ?? undefined) as Record<string, unknown> | undefined, operationName: (operationName ?? undefined) as string | undefined };
  }

  /** The prepared document for this request, when Apollo answered it before under the same operation name. */
  prepared(request: LaneRequest): Prepared | undefined {
    const prepared = this.documents.get(keyOf(request));
    return prepared && prepared.operationName === request.operationName ? prepared : undefined;
  }

  /**
   * Remembers a document Apollo answered with 200 and data: parsed and validated once more
   * here (once per document), its operation picked by name, the headers kept.
   */
  learn(request: LaneRequest, status: number, headers: Iterable<readonly [string, string]>, body: string): void {
    const hasData = body.startsWith('{"data":{') || (body.startsWith('{"errors":') && body.includes('"data":{'));
    if (status !== 200 || !hasData || this.documents.has(keyOf(request))) return;
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch {
      return;
    }
    if (validate(this.options.schema, document).length > 0) return;
    const operation = getOperationAST(document, request.operationName);
    if (!operation || operation.operation === 'subscription') return;
    if (this.documents.size >= this.maxDocuments) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(keyOf(request), {
      document,
      operationName: request.operationName,
      operationType: operation.operation,
      headers: [...headers],
      compiled: this.options.compile === false ? undefined : this.compile(document, request.operationName),
    });
  }

  /** The document compiled by graphql-jit, or undefined when it cannot compile it (graphql-js runs it then). */
  private compile(document: DocumentNode, operationName: string | undefined): CompiledQuery | undefined {
    try {
      const compiled = compileQuery(this.options.schema, document, operationName);
      return isCompiledQuery(compiled) ? compiled : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Executes a prepared document; undefined when nothing ran because the variables did not
   * coerce (Apollo answers those). With the answer: the execution's errors as they were and as
   * formatted for the client (for the operation log).
   */
  async run(prepared: Prepared, request: LaneRequest, contextValue: unknown): Promise<LaneRun | undefined> {
    const result: ExecutionResult = prepared.compiled
      ? await prepared.compiled.query(undefined, contextValue, request.variables ?? {})
      : await execute({
          schema: this.options.schema,
          document: prepared.document,
          operationName: request.operationName,
          variableValues: request.variables,
          contextValue,
        });
    if (result.errors?.length && result.data === undefined) return undefined;
    executed++;
    let status = 200;
    let headers = prepared.headers;
    let errors: GraphQLFormattedError[] | undefined;
    if (result.errors?.length) {
      const formatted = this.formatErrors(result.errors);
      errors = formatted.errors;
      if (formatted.status) status = formatted.status;
      if (formatted.headers.size) headers = [...new Map([...prepared.headers, ...formatted.headers])];
    }
    const body = JSON.stringify({ errors, data: result.data, extensions: result.extensions }) + '\n';
    return { answer: { status, headers, body }, errors: result.errors, formattedErrors: errors };
  }

  /** What Apollo Server's normalizeAndFormatErrors makes of execution errors (its errorNormalize.js). */
  private formatErrors(errors: readonly GraphQLError[]): { errors: GraphQLFormattedError[]; status: number | undefined; headers: Map<string, string> } {
    let status: number | undefined;
    const headers = new Map<string, string>();
    const includeStacktrace = this.options.includeStacktraceInErrorResponses ?? false;
    const enrich = (maybe: unknown): GraphQLFormattedError => {
      const error = maybe instanceof GraphQLError ? maybe : maybe instanceof Error ? new GraphQLError(maybe.message, { originalError: maybe }) : new GraphQLError('Unexpected error value: ' + String(maybe));
      // graphql-jit's errors carry no `extensions` when their cause had none (graphql-js's carry `{}`).
      const own = (error.extensions as GraphQLError['extensions'] | undefined) ?? {};
      const extensions: Record<string, unknown> = { ...own, code: own.code ?? 'INTERNAL_SERVER_ERROR' };
      const http = extensions.http as { status?: unknown; headers?: unknown } | undefined;
      if (http && typeof http === 'object' && (!('status' in http) || typeof http.status === 'number') && (!('headers' in http) || http.headers instanceof Map)) {
        if (typeof http.status === 'number') status = http.status;
        if (http.headers instanceof Map) for (const [name, value] of http.headers as Map<string, string>) headers.set(name, value);
        delete extensions.http;
      }
      if (includeStacktrace) extensions.stacktrace = error.stack?.split('\n');
      return { ...error.toJSON(), extensions };
    };
    const formatted = errors.map((error) => {
      try {
        return this.options.formatError ? this.options.formatError(enrich(error), error) : enrich(error);
      } catch (formattingError) {
        return includeStacktrace ? enrich(formattingError) : { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
    return { errors: formatted, status, headers };
  }
}

/**
 * What operationLogPlugin writes for an operation Apollo ran, for one the lane ran: an error
 * line per internal error, with its cause, and the debug line (operation, type, duration, outcome).
 */
export function logLaneOperation(
  logger: Logger,
  bindings: Record<string, unknown>,
  isInternalError: (code: unknown) => boolean,
  prepared: { operationType: string },
  request: { operationName: string | undefined },
  started: number,
  run: LaneRun,
): void {
  let child: Logger | undefined;
  const log = () => (child ??= logger.child(bindings));
  for (const error of run.errors ?? []) {
    if (!isInternalError(error.extensions?.code)) continue;
    log().error({ operation: request.operationName ?? null, path: error.path, err: error.originalError ?? error }, 'internal error');
  }
  const codes = [...new Set((run.formattedErrors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
  if (!logger.isLevelEnabled('debug')) return;
  log().debug(
    {
      operation: request.operationName ?? null,
      type: prepared.operationType,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      outcome: codes.length ? 'error' : 'ok',
      ...(codes.length ? { errorCodes: codes } : {}),
    },
    'subgraph operation',
  );
}
