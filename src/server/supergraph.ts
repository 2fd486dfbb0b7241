import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

export interface SubgraphDefinition {
  /** Subgraph name in the supergraph (`membership`, or the partner slug). */
  name: string;
  url: string;
  /** Its SDL, with the federation `@link`. */
  typeDefs: string;
}

/** Composes subgraphs into an Apollo Federation 2 supergraph SDL; throws listing every composition error. */
export function composeSupergraph(subgraphs: SubgraphDefinition[]): string {
  const result = composeServices(
    subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.typeDefs) })),
  );
  if (result.errors) {
    throw new Error(`Supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
