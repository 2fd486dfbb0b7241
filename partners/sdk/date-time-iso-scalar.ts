import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

function toDate(value: unknown): Date {
  const date = value instanceof Date ? value : typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTimeISO cannot represent ${JSON.stringify(value)}: expected an ISO-8601 date-time`);
  }
  return date;
}

/**
 * `DateTimeISO`, the same scalar name and wire format (ISO-8601 in UTC) as the membership
 * subgraph's, so composition merges the two definitions into one.
 */
export const DateTimeISO = new GraphQLScalarType<Date, string>({
  name: 'DateTimeISO',
  description: 'An instant as an ISO-8601 date-time in UTC, e.g. `2026-03-01T09:30:00.000Z`.',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: (value) => toDate(value),
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('DateTimeISO must be given as a string', { nodes: ast });
    }
    return toDate(ast.value);
  },
});
