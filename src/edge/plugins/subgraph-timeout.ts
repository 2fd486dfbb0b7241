import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, Kind, type DocumentNode } from 'graphql';

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
/** Root fields whose subgraph call may take longer than the default, by field name. */
export const SLOW_ROOT_FIELDS: Readonly<Record<string, number>> = {
  // Returns once a year (or five) of due work for every member on the clock has run.
  advanceTestClock: 15 * 60_000,
  // Computes every member's segments (3-12 s for 100,000 members on 2 cores: docs/decisions.md).
  recomputeSegments: 5 * 60_000,
  // Rebuilds every program figure from the raw tables (about 200 s for 1,000,000 members on 2 cores: docs/decisions.md).
  refreshProgramFigures: 10 * 60_000,
};

export function subgraphTimeout(defaultMs: number, slowFields: Readonly<Record<string, number>> = {}): GatewayPlugin {
  return {
    onFetch({ fetchFn, setFetchFn, executionRequest }) {
      // A root field that does long work on purpose (a test clock's advance) gets its own limit.
      const ms = slowestRootField(executionRequest?.document, slowFields) ?? defaultMs;
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

/** The longest limit of the operation's root fields named in `slowFields`, if any. */
export function slowestRootField(document: DocumentNode | undefined, slowFields: Readonly<Record<string, number>>): number | undefined {
  let longest: number | undefined;
  for (const definition of document?.definitions ?? []) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const selection of definition.selectionSet.selections) {
      const limit = selection.kind === Kind.FIELD ? slowFields[selection.name.value] : undefined;
      if (limit !== undefined && (longest === undefined || limit > longest)) longest = limit;
    }
  }
  return longest;
}
