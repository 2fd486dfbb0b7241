// The direct lane answers as Apollo Server does, errors shaped as its errorNormalize.js shapes
// them: each run here is compared with Apollo's answer to the same operation on the same
// schema, with the same formatError and stack-trace setting, with the lane's documents compiled
// by graphql-jit and run by graphql-js. Seen failing with formatError not called, with the
// default code not added, with an error's `extensions.http` left in the answer, and (compiled)
// with an uncoded error's missing `extensions` read as graphql-js's `{}`.
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, GraphQLScalarType, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DirectExecution } from './direct-execution.js';

const schema = makeExecutableSchema({
  typeDefs: `
    scalar Day
    enum Colour { RED GREEN }
    interface Named { name: String! }
    type Person implements Named { name: String!, age: Int }
    type Shop implements Named { name: String!, open: Boolean! }
    union Found = Person | Shop
    type Query {
      ok: String, plain: String, coded: String, teapot: String, list: [Int!]
      people(first: Int = 2, colour: Colour): [Person!]!
      found(kind: String!): Found
      named: [Named]
      brokenShop: Shop
      day: Day
    }`,
  resolvers: {
    Day: new GraphQLScalarType({ name: 'Day', serialize: (value) => (value as Date).toISOString().slice(0, 10) }),
    Named: { __resolveType: (value: { open?: boolean }) => (value.open === undefined ? 'Person' : 'Shop') },
    Found: { __resolveType: (value: { open?: boolean }) => (value.open === undefined ? 'Person' : 'Shop') },
    // The second person's age fails (asynchronously), the others' resolve.
    Person: { age: async (person: { i: number }) => (person.i === 1 ? Promise.reject(new Error('age unknown')) : 30 + person.i) },
    Query: {
      ok: () => 'fine',
      plain: () => {
        throw new Error('database said no: secret detail');
      },
      coded: () => {
        throw new GraphQLError('No such thing', { extensions: { code: 'NOT_FOUND', id: 'x' } });
      },
      teapot: () => {
        const extensions: Record<string, unknown> = { code: 'TEAPOT', http: { status: 418, headers: new Map([['x-teapot', 'yes']]) } };
        throw new GraphQLError('Short and stout', { extensions });
      },
      list: () => [1, null as unknown as number, 3],
      people: async (_: unknown, args: { first: number; colour?: string }) =>
        Array.from({ length: args.first }, (_, i) => ({ name: `${args.colour ?? 'NONE'}-${i}`, i })),
      found: (_: unknown, args: { kind: string }) => (args.kind === 'shop' ? { name: 'Corner', open: true } : args.kind === 'person' ? { name: 'Ann' } : null),
      named: () => [{ name: 'Ann' }, { name: 'Corner', open: true }, null],
      // A non-null field that resolves to null: the error nulls its parent.
      brokenShop: () => ({ name: 'Nowhere', open: null }),
      day: () => new Date('2026-12-07T10:00:00Z'),
    },
  },
});

/** Masks what is not coded, as the subgraphs' formatError does. */
const formatError = (formatted: GraphQLFormattedError): GraphQLFormattedError =>
  formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' ? { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } } : formatted;

async function both(query: string, includeStacktraceInErrorResponses: boolean, compile: boolean, variables?: Record<string, unknown>) {
  const apollo = new ApolloServer({ schema, formatError, includeStacktraceInErrorResponses, plugins: [ApolloServerPluginCacheControlDisabled()] });
  await apollo.start();
  const headers = new HeaderMap([['content-type', 'application/json']]);
  const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: 'POST', headers, search: '', body: variables ? { query, variables } : { query } }, context: async () => ({}) });
  await apollo.stop();
  const theirs = { status: response.status ?? 200, headers: Object.fromEntries(response.headers), body: response.body.kind === 'complete' ? response.body.string : '' };
  const lane = new DirectExecution({ schema, formatError, includeStacktraceInErrorResponses, compile });
  const request = { accept: '', query, variables, operationName: undefined };
  lane.learn(request, 200, [['content-type', 'application/json; charset=utf-8']], '{"data":{}}');
  const prepared = lane.prepared(request)!;
  expect(prepared.compiled !== undefined).toBe(compile);
  const run = await lane.run(prepared, request, {});
  const ours = { status: run!.answer.status, headers: Object.fromEntries(run!.answer.headers), body: run!.answer.body };
  return { ours, theirs };
}

const QUERIES: Array<[string, Record<string, unknown>?]> = [
  ['{ ok }'],
  ['{ ok plain }'],
  ['{ coded ok }'],
  ['{ teapot }'],
  ['{ list }'],
  ['{ plain coded teapot list ok }'],
  ['query People($n: Int, $c: Colour) { people(first: $n, colour: $c) { name age } }', { n: 3, c: 'GREEN' }],
  ['query People($n: Int) { people(first: $n) { ...on Named { name } who: name } }', {}],
  ['{ person: found(kind: "person") { __typename ...on Person { name age } ...on Shop { open } } shop: found(kind: "shop") { __typename ...on Shop { name open } } none: found(kind: "x") { __typename } }'],
  ['{ named { __typename name ...on Shop { open } } }'],
  ['{ brokenShop { name open } ok }'],
  ['{ day __typename }'],
];

describe('the direct lane answers as Apollo does', () => {
  for (const compile of [true, false]) {
    for (const stack of [false, true]) {
      for (const [query, variables] of QUERIES) {
        it(`${query}${variables ? ` ${JSON.stringify(variables)}` : ''}${stack ? ' (stack traces on)' : ''}${compile ? ' (compiled)' : ' (graphql-js)'}`, async () => {
          const { ours, theirs } = await both(query, stack, compile, variables);
          if (stack) {
            // Stack traces differ by the frames that called execute; their first lines are the error's.
            const firstLines = (body: string) => JSON.parse(body, (key, value) => (key === 'stacktrace' ? (value as string[])[0] : value));
            expect({ ...ours, body: firstLines(ours.body) }).toEqual({ ...theirs, body: firstLines(theirs.body) });
          } else {
            expect(ours).toEqual(theirs);
          }
        });
      }
    }
  }
});
