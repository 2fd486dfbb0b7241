import { GraphQLError, GraphQLScalarType } from 'graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';

// What PostgreSQL's timestamptz takes as an ISO-8601 string: years 0001 to 9999. RFC 3339
// (and so graphql-scalars) also allows year 0000, and an offset can carry a valid local
// time into year 0 or 10000 in UTC; the database refuses both.
const EARLIEST = new Date('0001-01-01T00:00:00.000Z').getTime();
const LATEST = new Date('9999-12-31T23:59:59.999Z').getTime();

function storable(date: Date): Date {
  const time = date.getTime();
  if (!(time >= EARLIEST && time <= LATEST)) {
    throw new GraphQLError(`DateTimeISO cannot represent ${date.toISOString()}: instants from 0001-01-01 to 9999-12-31 (UTC) only`);
  }
  return date;
}

/**
 * graphql-scalars' `DateTimeISO` (name, description and wire format unchanged, so the
 * printed schema is too), refusing instants outside years 0001-9999 UTC as input: a
 * variable gets BAD_USER_INPUT and a literal a validation error, instead of a database error.
 */
export const DateTimeISO = new GraphQLScalarType<Date, string>({
  ...GraphQLDateTimeISO.toConfig(),
  parseValue: (value) => storable(GraphQLDateTimeISO.parseValue(value)),
  parseLiteral: (ast, variables) => storable(GraphQLDateTimeISO.parseLiteral(ast, variables)),
});
