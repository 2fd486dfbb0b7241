import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** One input problem: which argument or field, and what is wrong with it. */
export interface InputProblem {
  /** Argument or field path, e.g. `units`. */
  field: string;
  message: string;
}

/**
 * The codes a partner subgraph may answer with; the gateway passes them (and the coalition's
 * own) through to clients. Anything else becomes `DOWNSTREAM_SERVICE_ERROR` naming the partner.
 */
export const PARTNER_ERROR_CODES = ['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN', 'DOWNSTREAM_SERVICE_ERROR', 'INTERNAL_SERVER_ERROR'] as const;

/** An error clients may see: a message and a stable `extensions.code`. */
export class CodedError extends GraphQLError {
  readonly code: string;

  constructor(code: string, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
    this.name = 'CodedError';
  }

  /** Every problem of one request, reported together (`BAD_USER_INPUT`, `extensions.problems`). */
  static badInput<T extends CodedErrorClass>(this: T, problems: InputProblem[], extensions: Record<string, unknown> = {}): InstanceType<T> {
    const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    return construct(this, 'BAD_USER_INPUT', `Invalid input: ${message}`, { ...extensions, problems });
  }

  /** Unknown and someone else's look exactly the same. */
  static notFound<T extends CodedErrorClass>(this: T, what: string, id: string): InstanceType<T> {
    return construct(this, 'NOT_FOUND', `${what} ${id} not found`);
  }

  /** A partner's API failed or is unreachable (`extensions.service` names it). */
  static downstream<T extends CodedErrorClass>(this: T, service: string, detail?: string): InstanceType<T> {
    return construct(this, 'DOWNSTREAM_SERVICE_ERROR', `Partner service ${service} is unavailable${detail ? `: ${detail}` : ''}`, { service });
  }
}

/** An instance of `errorClass` (whose constructor may take a narrower code type, as `AppError`'s does). */
function construct<T extends CodedErrorClass>(errorClass: T, code: string, message: string, extensions: Record<string, unknown> = {}): InstanceType<T> {
  return new (errorClass as unknown as new (code: string, message: string, extensions?: Record<string, unknown>) => CodedError)(code, message, extensions) as InstanceType<T>;
}

/** {@link CodedError} or a subclass of it (the coalition's `AppError`). */
export type CodedErrorClass = new (code: never, message: string, extensions?: Record<string, unknown>) => CodedError;

/** Collects validation problems so a request reports all of them at once. */
export class InputValidator {
  private readonly problems: InputProblem[] = [];

  /** @param errors the class of the error it throws. @default CodedError */
  constructor(private readonly errors: { badInput(problems: InputProblem[]): Error } = CodedError) {}

  check(condition: boolean, field: string, message: string): this {
    if (!condition) this.problems.push({ field, message });
    return this;
  }

  /** Throws `BAD_USER_INPUT` listing every failed check, if any. */
  throwIfInvalid(): void {
    if (this.problems.length > 0) throw this.errors.badInput(this.problems);
  }
}

/**
 * A subgraph's `formatError`: errors with a known code pass through (stack traces only when
 * `exposeStack`), anything else becomes `INTERNAL_SERVER_ERROR` with a generic message.
 */
export function formatSubgraphError(formatted: GraphQLFormattedError, isKnown: (code: string) => boolean, exposeStack = false): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (!isInternalError(code, isKnown)) {
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

/** True when an error with this `extensions.code` reaches clients only as INTERNAL_SERVER_ERROR. */
export function isInternalError(code: unknown, isKnown: (code: string) => boolean): boolean {
  if (typeof code !== 'string') return true;
  if (code.startsWith('GRAPHQL_')) return false;
  return code === 'INTERNAL_SERVER_ERROR' || !isKnown(code);
}
