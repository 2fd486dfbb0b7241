import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Every `extensions.code` the API returns; the contract's minimum plus our additive ones. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'QUOTA_EXHAUSTED'
  | 'ENTITLEMENT_INACTIVE'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_REVOKED'
  | 'ALREADY_REDEEMED'
  | 'IDEMPOTENCY_CONFLICT'
  | 'ALREADY_MEMBER'
  | 'ALREADY_VOIDED'
  | 'VOID_WINDOW_CLOSED'
  | 'VOUCHER_POOL_EMPTY'
  | 'QUERY_TOO_COMPLEX'
  | 'RATE_LIMITED'
  | 'DOWNSTREAM_SERVICE_ERROR'
  | 'INTERNAL_SERVER_ERROR';

/** A size limit the gateway puts on an operation before planning it. */
export type QueryLimit = 'depth' | 'aliases' | 'tokens' | 'directives' | 'cost';

export interface InputProblem {
  /** Argument or field path, e.g. `units`. */
  field: string;
  message: string;
}

/** Base class of every error a client may see: a message and a stable `extensions.code`. */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
    this.name = 'AppError';
  }

  static unauthenticated(message = 'Authentication required: send Authorization: Bearer <credential>'): AppError {
    return new AppError('UNAUTHENTICATED', message);
  }

  static forbidden(operation: string, role: string): AppError {
    return new AppError('FORBIDDEN', `A ${role} may not call ${operation}`);
  }

  /** Unknown and someone else's look exactly the same. */
  static notFound(what: string, id: string): AppError {
    return new AppError('NOT_FOUND', `${what} ${id} not found`);
  }

  /** All validation problems of one request, reported together. */
  static badInput(problems: InputProblem[]): AppError {
    const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    return new AppError('BAD_USER_INPUT', `Invalid input: ${message}`, { problems });
  }

  static quotaExhausted(remaining: number, requested: number): AppError {
    return new AppError(
      'QUOTA_EXHAUSTED',
      `Quota exhausted: ${remaining} left in this period, ${requested} requested`,
      { remaining },
    );
  }

  static entitlementInactive(status: string): AppError {
    return new AppError('ENTITLEMENT_INACTIVE', `The entitlement is ${status}, not ACTIVE`, { status });
  }

  static tokenInvalid(reason: string): AppError {
    return new AppError('TOKEN_INVALID', `Invalid entitlement token: ${reason}`);
  }

  static tokenExpired(): AppError {
    return new AppError('TOKEN_EXPIRED', 'The entitlement token has expired; ask the member for a fresh one');
  }

  static tokenRevoked(): AppError {
    return new AppError('TOKEN_REVOKED', 'This entitlement token was revoked (see its status list entry); ask the member for a fresh one');
  }

  static alreadyRedeemed(): AppError {
    return new AppError('ALREADY_REDEEMED', 'This token has already been redeemed; a token is presented once');
  }

  static idempotencyConflict(): AppError {
    return new AppError(
      'IDEMPOTENCY_CONFLICT',
      'This idempotency key was already used with a different request',
    );
  }

  static alreadyMember(planCode: string): AppError {
    return new AppError('ALREADY_MEMBER', `You already hold an active ${planCode} membership`);
  }

  static alreadyVoided(redemptionId: string): AppError {
    return new AppError('ALREADY_VOIDED', `Redemption ${redemptionId} has already been voided`, { redemptionId });
  }

  static voidWindowClosed(redemptionId: string, windowSeconds: number): AppError {
    return new AppError(
      'VOID_WINDOW_CLOSED',
      `Redemption ${redemptionId} can no longer be voided: a redemption is voided within ${windowSeconds} seconds`,
      { redemptionId, windowSeconds },
    );
  }

  static voucherPoolEmpty(benefitCode: string): AppError {
    return new AppError('VOUCHER_POOL_EMPTY', `No ${benefitCode} voucher is left right now; your quota was not used. Try again later.`);
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

  static downstream(service: string, detail?: string): AppError {
    return new AppError(
      'DOWNSTREAM_SERVICE_ERROR',
      `Partner service ${service} is unavailable${detail ? `: ${detail}` : ''}`,
      { service },
    );
  }
}

/** Collects validation problems so a request reports all of them at once. */
export class InputValidator {
  private readonly problems: InputProblem[] = [];

  check(condition: boolean, field: string, message: string): this {
    if (!condition) this.problems.push({ field, message });
    return this;
  }

  /** Throws `BAD_USER_INPUT` listing every failed check, if any. */
  throwIfInvalid(): void {
    if (this.problems.length > 0) throw AppError.badInput(this.problems);
  }
}

const KNOWN_CODES = new Set<string>([
  'UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'QUOTA_EXHAUSTED',
  'ENTITLEMENT_INACTIVE', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'ALREADY_REDEEMED',
  'IDEMPOTENCY_CONFLICT', 'ALREADY_MEMBER', 'ALREADY_VOIDED', 'VOID_WINDOW_CLOSED', 'VOUCHER_POOL_EMPTY', 'QUERY_TOO_COMPLEX', 'RATE_LIMITED', 'DOWNSTREAM_SERVICE_ERROR', 'INTERNAL_SERVER_ERROR',
  // codes produced by graphql-js / Apollo for malformed operations
  'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** True for a code this API documents (ours, or graphql-js's for malformed operations). */
export function isKnownErrorCode(code: string): boolean {
  return KNOWN_CODES.has(code);
}

/** True when an error with this `extensions.code` reaches clients as INTERNAL_SERVER_ERROR (see {@link formatError}). */
export function isInternalErrorCode(code: unknown): boolean {
  if (typeof code !== 'string') return true;
  if (code.startsWith('GRAPHQL_')) return false;
  return code === 'INTERNAL_SERVER_ERROR' || !KNOWN_CODES.has(code);
}

/**
 * The one `formatError` of every subgraph: coded errors pass through, anything else
 * becomes `INTERNAL_SERVER_ERROR` with a generic message. Stack traces only in development.
 */
export function formatError(formatted: GraphQLFormattedError, _error: unknown, exposeStack = false): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (!isInternalErrorCode(code)) {
    if (exposeStack || (typeof code === 'string' && code.startsWith('GRAPHQL_'))) return formatted;
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error',
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: {
      code: 'INTERNAL_SERVER_ERROR',
      ...(exposeStack ? { detail: formatted.message, stacktrace: formatted.extensions?.stacktrace } : {}),
    },
  };
}
