import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';
import type { ErrorCatalog } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';

/**
 * The gateway's one error normalization, the last step before a response is written (after
 * the runtime annotated subgraph errors): every error becomes what the error table lets
 * clients see (see {@link normalizeGatewayError}); an error the gateway itself turns into
 * INTERNAL_SERVER_ERROR is logged with its cause.
 */
export function errorNormalization(errors: ErrorCatalog, options: { development: boolean; logger?: Logger }): GatewayPlugin {
  return {
    onResultProcess({ result, setResult }) {
      const found = (result as { errors?: GraphQLError[] } | null)?.errors;
      if (!Array.isArray(found) || found.length === 0) return;
      const normalized = found.map((e) => {
        const answer = normalizeGatewayError(e, errors, options.development);
        // The client learns nothing; the log says what broke (subgraphs log their own).
        if (answer !== e && answer.extensions.code === 'INTERNAL_SERVER_ERROR' && e.extensions?.code !== 'INTERNAL_SERVER_ERROR') {
          options.logger?.error({ err: e.originalError ?? e, path: e.path, message: e.message }, 'internal error at the gateway');
        }
        return answer;
      });
      // Replacing the result loses the HTTP status Yoga derived for request errors: only when needed.
      if (normalized.some((e, i) => e !== found[i])) setResult({ ...(result as object), errors: normalized } as typeof result);
    },
  };
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
