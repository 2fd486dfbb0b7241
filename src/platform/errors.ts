import type { GraphQLFormattedError } from 'graphql';
import { CodedError, formatSubgraphError, InputValidator as SdkInputValidator, isInternalError, type InputProblem } from '../../partners/sdk/index.js';

export type { InputProblem };

/**
 * One row of the error table: how an `extensions.code` reaches clients. The table is the one
 * source for the union type {@link ErrorCode}, the fields the gateway passes through to
 * clients, the subgraphs' `formatError` and the README's error section
 * (`npm run -s schema:print` writes it).
 */
export interface ErrorSpec {
  /** HTTP status of a response whose only error is this one (200: a field error in a GraphQL result). */
  readonly http: number;
  /** The `extensions` fields a client sees besides `code`; any other field is dropped at the gateway. */
  readonly extensions: readonly string[];
  /** One line of meaning, for the README. */
  readonly meaning: string;
}

export type ErrorTable = Readonly<Record<string, ErrorSpec>>;

/** Declares a module's error codes (keeps the literal keys for {@link ErrorCodeRegistry}). */
export function defineErrors<const T extends ErrorTable>(table: T): T {
  return table;
}

/** `{ CODE: true }` for each code of a table: what a module adds to {@link ErrorCodeRegistry}. */
export type ErrorCodesOf<T extends ErrorTable> = { readonly [K in keyof T]: true };

/**
 * Codes every room may use: authentication, authorization, input, lookups, idempotency, the
 * gateway's own refusals, partner failures and the internal catch-all.
 */
export const PLATFORM_ERRORS = defineErrors({
  UNAUTHENTICATED: { http: 200, extensions: [], meaning: 'No usable credential: missing, malformed, expired, revoked or from an untrusted issuer (the message says which).' },
  FORBIDDEN: { http: 200, extensions: [], meaning: 'The caller\'s role may not call this operation at all (a member calling a partner operation, say).' },
  BAD_USER_INPUT: {
    http: 200,
    extensions: ['problems', 'compositionErrors'],
    meaning: 'Invalid input, every problem listed in `extensions.problems` (`field`, `message`); nothing changed. A partner subgraph that does not compose lists `extensions.compositionErrors`.',
  },
  NOT_FOUND: { http: 200, extensions: [], meaning: 'Unknown id — or someone else\'s, which looks exactly the same.' },
  IDEMPOTENCY_CONFLICT: { http: 200, extensions: [], meaning: 'The idempotency key was used before with a different request; the first request\'s effect stands.' },
  QUERY_TOO_COMPLEX: {
    http: 200,
    extensions: ['limit', 'max'],
    meaning: 'The operation is over a `GRAPHQL_MAX_*` limit (`extensions.limit`, with its `max`); nothing of it ran.',
  },
  RATE_LIMITED: {
    http: 429,
    extensions: ['retryAfter'],
    meaning: 'The caller spent its budget for the window; `Retry-After` (and `extensions.retryAfter`) says when to come back. Nothing ran.',
  },
  DOWNSTREAM_SERVICE_ERROR: { http: 200, extensions: ['service'], meaning: 'A partner service (named in `extensions.service`) failed or is unreachable; the rest of the answer stands.' },
  INTERNAL_SERVER_ERROR: { http: 200, extensions: [], meaning: 'Our fault; the message is generic and the log holds the cause under the request id.' },
});

/**
 * Every `extensions.code` the API returns. Modules add theirs by declaration merging:
 * `declare module '…/platform/errors.js' { interface ErrorCodeRegistry extends ErrorCodesOf<typeof myErrors> {} }`.
 */
export interface ErrorCodeRegistry extends ErrorCodesOf<typeof PLATFORM_ERRORS> {}

export type ErrorCode = keyof ErrorCodeRegistry & string;

/**
 * Codes graphql-js and the GraphQL server produce for a malformed request (parse and validation
 * errors, an unknown persisted operation, a missing or ambiguous operation name): shown to
 * clients as they are.
 */
export const REQUEST_ERRORS = defineErrors({
  GRAPHQL_PARSE_FAILED: { http: 200, extensions: [], meaning: 'The document does not parse (HTTP 400 for a client that accepts `application/graphql-response+json`).' },
  GRAPHQL_VALIDATION_FAILED: {
    http: 200,
    extensions: [],
    meaning: 'The document does not validate against the schema: unknown field, wrong argument type, … (HTTP 400 for `application/graphql-response+json`).',
  },
  BAD_REQUEST: {
    http: 400,
    extensions: [],
    meaning: 'The HTTP request is not one we take: a batch (an array), a malformed body; a GET or form post without an `x-graphql-csrf` or `apollo-require-preflight` header is refused with 403.',
  },
  PERSISTED_QUERY_NOT_FOUND: { http: 200, extensions: [], meaning: 'No operation with this hash in the safelist.' },
  OPERATION_RESOLUTION_FAILURE: { http: 400, extensions: [], meaning: 'The operation to run cannot be chosen: unknown or missing operation name.' },
});

/** A size limit the gateway puts on an operation before planning it. */
export type QueryLimit = 'depth' | 'aliases' | 'tokens' | 'directives' | 'cost';

/**
 * Base class of every error a client may see: a message and a stable `extensions.code` of
 * the error table. Modules extend it with a class of their own and one static constructor per
 * case (`TokenError.expired()`); the partner SDK's `CodedError` it extends brings `badInput`,
 * `notFound` and `downstream`, which build an `AppError` when called on it.
 */
export class AppError extends CodedError {
  declare readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(code, message, extensions);
    this.name = 'AppError';
  }

  static unauthenticated(message = 'Authentication required: send Authorization: Bearer <credential>'): AppError {
    return new AppError('UNAUTHENTICATED', message);
  }

  /** "A member may not call …", "An analyst may not call …": `role` names the caller. */
  static forbidden(operation: string, role: string): AppError {
    return new AppError('FORBIDDEN', `${/^[aeiou]/i.test(role) ? 'An' : 'A'} ${role} may not call ${operation}`);
  }

  static idempotencyConflict(): AppError {
    return new AppError('IDEMPOTENCY_CONFLICT', 'This idempotency key was already used with a different request');
  }

  /**
   * The caller spent its budget for the window (HTTP 429). `retryAfterSeconds` is absent
   * when the operation alone costs more than the whole budget: waiting would not help.
   */
  static rateLimited(message: string, http: { retryAfterSeconds?: number; headers: Record<string, string> }): AppError {
    const headers = { ...http.headers, ...(http.retryAfterSeconds !== undefined ? { 'retry-after': String(http.retryAfterSeconds) } : {}) };
    return new AppError('RATE_LIMITED', message, {
      ...(http.retryAfterSeconds !== undefined ? { retryAfter: http.retryAfterSeconds } : {}),
      http: { status: 429, headers },
    });
  }

  /** The operation is over one of the gateway's limits; it was not run. */
  static queryTooComplex(limit: QueryLimit, max: number, detail: string): AppError {
    return new AppError('QUERY_TOO_COMPLEX', `Operation refused, too complex: ${detail}`, { limit, max });
  }
}

/** Collects validation problems so a request reports all of them at once (as one `BAD_USER_INPUT` AppError). */
export class InputValidator extends SdkInputValidator {
  constructor() {
    super(AppError);
  }
}

/**
 * The codes a process knows (the platform's, its modules', the request errors), with what
 * clients may see of each; throws at start-up when two tables claim one code.
 */
export class ErrorCatalog {
  private readonly specs = new Map<string, ErrorSpec>();

  constructor(tables: readonly ErrorTable[]) {
    for (const table of [PLATFORM_ERRORS, REQUEST_ERRORS, ...tables]) {
      for (const [code, spec] of Object.entries(table)) {
        const known = this.specs.get(code);
        if (known && known !== spec) throw new Error(`Error code ${code} is declared twice`);
        this.specs.set(code, spec);
      }
    }
  }

  /** Code → spec, in declaration order (platform first). */
  entries(): ReadonlyArray<[string, ErrorSpec]> {
    return [...this.specs.entries()];
  }

  spec(code: string): ErrorSpec | undefined {
    return this.specs.get(code);
  }

  /** True for a code this API documents (ours, or a malformed request's). */
  isKnown(code: string): boolean {
    return this.specs.has(code);
  }

  /** True when an error with this `extensions.code` reaches clients as INTERNAL_SERVER_ERROR (see {@link formatError}). */
  isInternal(code: unknown): boolean {
    return isInternalError(code, (known) => this.specs.has(known));
  }

  /**
   * The one `formatError` of every subgraph: coded errors pass through, anything else
   * becomes `INTERNAL_SERVER_ERROR` with a generic message. Stack traces only in development.
   */
  formatError(formatted: GraphQLFormattedError, exposeStack = false): GraphQLFormattedError {
    return formatSubgraphError(formatted, (known) => this.specs.has(known), exposeStack);
  }
}
