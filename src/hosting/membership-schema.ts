import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, lexicographicSortSchema, parse } from 'graphql';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import type { RequestContext } from '../platform/context.js';
import { DateTimeISO } from '../platform/date-time-iso.js';
import type { ModuleSet } from '../platform/module.js';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires"])';

/** The membership subgraph's schema and its SDL (what is printed to schema/membership.graphql). */
export interface MembershipSubgraph {
  typeDefs: string;
  schema: GraphQLSchema;
}

const built = new WeakMap<ModuleSet, Promise<MembershipSubgraph>>();

/**
 * The membership subgraph: the modules' type-graphql resolvers, printed with their directives
 * behind the federation `@link`, built by `@apollo/subgraph` with type-graphql's resolvers plus
 * the modules' reference resolvers (which go through the request's DataLoaders).
 */
export function buildMembershipSubgraph(modules: ModuleSet): Promise<MembershipSubgraph> {
  let subgraph = built.get(modules);
  if (!subgraph) {
    subgraph = (async () => {
      const base = await buildSchema({
        resolvers: modules.resolvers() as NonEmptyArray<Function>,
        // Date arguments refuse instants the database cannot store (see date-time-iso.ts).
        scalarsMap: [{ type: Date, scalar: DateTimeISO }],
        validate: false,
        emitSchemaFile: false,
      });
      // Sorted: the printed SDL (schema/membership.graphql) must not depend on the order modules load in.
      const typeDefs = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(lexicographicSortSchema(base))}`;
      const resolvers = createResolversMap(base) as GraphQLResolverMap<RequestContext>;
      for (const [typeName, resolve] of Object.entries(modules.references())) {
        resolvers[typeName] = { ...(resolvers[typeName] as object), __resolveReference: resolve } as GraphQLResolverMap<RequestContext>[string];
      }
      return { typeDefs, schema: buildSubgraphSchema([{ typeDefs: parse(typeDefs), resolvers }]) };
    })();
    built.set(modules, subgraph);
  }
  return subgraph;
}
