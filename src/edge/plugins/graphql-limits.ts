import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';
import { DEFAULT_GRAPHQL_LIMITS, type GraphqlLimits } from '../../platform/config.js';
import { AppError, type QueryLimit } from '../../platform/errors.js';

export { DEFAULT_GRAPHQL_LIMITS, type GraphqlLimits };

export interface GraphqlLimitsOptions {
  /**
   * Keep graphql-js's "Did you mean …?" hints in validation errors. They map the schema
   * for whoever probes it, so production hides them, like introspection. @default true
   */
  fieldSuggestions?: boolean;
}

/**
 * graphql-armor's envelop plugins for the gateway: every limit in `limits`, each refusal
 * a `QUERY_TOO_COMPLEX` error naming the limit and its value (`extensions.limit`, `.max`).
 */
export function graphqlLimitsPlugins(limits: GraphqlLimits, options: GraphqlLimitsOptions = {}): GatewayPlugin[] {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`GraphQL limit ${name} must be a positive integer, got ${String(value)}`);
  }
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.depth, flattenFragments: true, ...coded('depth', limits.depth) },
    maxAliases: { n: limits.aliases, ...coded('aliases', limits.aliases) },
    maxTokens: { n: limits.tokens, ...coded('tokens', limits.tokens) },
    maxDirectives: { n: limits.directives, ...coded('directives', limits.directives) },
    costLimit: { maxCost: limits.cost, flattenFragments: true, ...coded('cost', limits.cost) },
    blockFieldSuggestion: { enabled: options.fieldSuggestions === false, mask: '' },
  });
  return [...(armor.protect().plugins as GatewayPlugin[]), codedCsrfRefusal];
}

type ArmorConfig = NonNullable<ConstructorParameters<typeof EnvelopArmor>[0]>;
type RejectionHandling = Pick<NonNullable<ArmorConfig['maxDepth']>, 'onReject' | 'propagateOnRejection'>;

/**
 * Replaces armor's uncoded "Syntax Error: …" with a coded error. Validation rules get a
 * context and report it there (graphql-js collects it with the other validation errors);
 * the token count runs in the parser, without one, so it throws.
 */
function coded(limit: QueryLimit, max: number): RejectionHandling {
  return {
    propagateOnRejection: false,
    onReject: [
      (context, error) => {
        const coded = AppError.queryTooComplex(limit, max, error.message.replace(/^Syntax Error: /, ''));
        if (!context) throw coded;
        context.reportError(coded);
      },
    ],
  };
}

/**
 * Headers that mark a GraphQL request as sent on purpose (CSRF prevention): a browser
 * cannot add them to a simple cross-site request. JSON POSTs, what every client sends,
 * are preflighted anyway; a GET (or a form post) must carry one of these.
 */
export const CSRF_HEADERS = ['x-graphql-csrf', 'apollo-require-preflight'] as const;

/**
 * The runtime's CSRF check (`csrfPrevention`) refuses with an uncoded 403, where Yoga codes
 * its other request errors BAD_REQUEST: give it that code and say what to send instead.
 */
const codedCsrfRefusal: GatewayPlugin = {
  onResultProcess({ result, setResult }) {
    const errors = (result as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) return;
    const refusal = errors.findIndex(
      (e) => e instanceof GraphQLError && e.extensions.code === undefined && (e.extensions.http as { status?: number } | undefined)?.status === 403,
    );
    if (refusal < 0) return;
    const coded = new GraphQLError(
      `CSRF prevention: send the operation as a POST with content-type application/json, or add one of these headers: ${CSRF_HEADERS.join(', ')}`,
      { extensions: { ...(errors[refusal] as GraphQLError).extensions, code: 'BAD_REQUEST' } },
    );
    setResult({ ...(result as object), errors: errors.map((e, i) => (i === refusal ? coded : e)) } as typeof result);
  },
};
