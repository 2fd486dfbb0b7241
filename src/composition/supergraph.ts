import { composeServices } from '@apollo/composition';
import { lexicographicSortSchema, parse, printSchema } from 'graphql';

export interface SubgraphDefinition {
  /** Subgraph name in the supergraph (`membership`, or the partner slug). */
  name: string;
  url: string;
  /** Its SDL, with the federation `@link`. */
  typeDefs: string;
}

export interface ComposedSupergraph {
  /** The supergraph SDL the gateway plans against. */
  supergraphSdl: string;
  /** The API schema: what clients see (the contract), without federation machinery. */
  apiSdl: string;
}

/** Composes subgraphs into an Apollo Federation 2 supergraph; throws listing every composition error. */
export function composeSupergraphWithApi(subgraphs: SubgraphDefinition[]): ComposedSupergraph {
  const result = composeServices(
    subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })),
  );
  if (result.errors) {
    throw new Error(`Supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return {
    supergraphSdl: result.supergraphSdl,
    apiSdl: printSchema(lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema())),
  };
}

/** The supergraph SDL of `subgraphs`; throws listing every composition error. */
export function composeSupergraph(subgraphs: SubgraphDefinition[]): string {
  return composeSupergraphWithApi(subgraphs).supergraphSdl;
}

/** The individual composition errors a failed {@link composeSupergraphWithApi} listed. */
export function compositionErrorsOf(error: unknown): string[] {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').slice(1).map((line) => line.replace(/^\s*-\s*/, '')).filter(Boolean);
}
