// The direct lane shapes errors as Apollo Server does (its errorNormalize.js): each run here
// is compared with Apollo's answer to the same operation on the same schema, with the same
// formatError and stack-trace setting. Seen failing with formatError not called, with the
// default code not added, and with an error's `extensions.http` left in the answer.
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DirectExecution } from './direct-execution.js';

const schema = makeExecutableSchema({
  typeDefs: 'type Query { ok: String, plain: String, coded: String, teapot: String, list: [Int!] }',
  resolvers: {
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
    },
  },
});

/** Masks what is not coded, as the subgraphs' formatError does. */
const formatError = (formatted: GraphQLFormattedError): GraphQLFormattedError =>
  formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' ? { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } } : formatted;

async function both(query: string, includeStacktraceInErrorResponses: boolean) {
  const apollo = new ApolloServer({ schema, formatError, includeStacktraceInErrorResponses, plugins: [ApolloServerPluginCacheControlDisabled()] });
  await apollo.start();
  const headers = new HeaderMap([['content-type', 'application/json']]);
  const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: 'POST', headers, search: '', body: { query } }, context: async () => ({}) });
  await apollo.stop();
  const theirs = { status: response.status ?? 200, headers: Object.fromEntries(response.headers), body: response.body.kind === 'complete' ? response.body.string : '' };
  const lane = new DirectExecution({ schema, formatError, includeStacktraceInErrorResponses });
  lane.learn({ accept: '', query, variables: undefined, operationName: undefined }, 200, [['content-type', 'application/json; charset=utf-8']], '{"data":{}}');
  const prepared = lane.prepared({ accept: '', query, variables: undefined, operationName: undefined })!;
  const run = await lane.run(prepared, { accept: '', query, variables: undefined, operationName: undefined }, {});
  const ours = { status: run!.answer.status, headers: Object.fromEntries(run!.answer.headers), body: run!.answer.body };
  return { ours, theirs };
}

describe('the direct lane shapes errors as Apollo does', () => {
  for (const stack of [false, true]) {
    for (const query of ['{ ok }', '{ ok plain }', '{ coded ok }', '{ teapot }', '{ list }', '{ plain coded teapot list ok }']) {
      it(`${query}${stack ? ' (stack traces on)' : ''}`, async () => {
        const { ours, theirs } = await both(query, stack);
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
});
