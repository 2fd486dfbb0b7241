import { print, type DocumentNode } from 'graphql';
import type { SubgraphDefinition } from './supergraph.js';

/** Port of the membership subgraph when it runs on its own. @default 4001 */
export const MEMBERSHIP_SUBGRAPH_PORT = 4001;
/** Partner subgraphs run on their own from this port up, in the partners' order. */
export const FIRST_PARTNER_SUBGRAPH_PORT = 4011;

/** The standalone port of a built-in subgraph: 4001 for membership, 4011, 4012, … for the partners in order. */
export function standaloneSubgraphPort(name: string, partners: ReadonlyArray<{ id: string }>): number {
  if (name === 'membership') return MEMBERSHIP_SUBGRAPH_PORT;
  const index = partners.findIndex((p) => p.id === name);
  if (index < 0) throw new Error(`Unknown subgraph ${name}`);
  return FIRST_PARTNER_SUBGRAPH_PORT + index;
}

/**
 * The built-in subgraphs (membership and every built-in partner) at their standalone
 * addresses: what schema/ is printed and composed from, and what registrations must compose with.
 */
export function builtInSubgraphs(
  membershipTypeDefs: string,
  partners: ReadonlyArray<{ id: string; typeDefs: DocumentNode }>,
  host = 'localhost',
): SubgraphDefinition[] {
  return [
    { name: 'membership', url: `http://${host}:${MEMBERSHIP_SUBGRAPH_PORT}/graphql`, typeDefs: membershipTypeDefs },
    ...partners.map((partner, i) => ({
      name: partner.id,
      url: `http://${host}:${FIRST_PARTNER_SUBGRAPH_PORT + i}/graphql`,
      typeDefs: print(partner.typeDefs),
    })),
  ];
}
