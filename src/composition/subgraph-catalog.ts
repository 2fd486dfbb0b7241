import { print } from 'graphql';
import { partnerAdapters } from '../../partners/index.js';
import { buildMembershipSubgraph } from '../hosting/membership-schema.js';
import type { SubgraphDefinition } from './supergraph.js';

/** Port of the membership subgraph when it runs on its own. @default 4001 */
export const MEMBERSHIP_SUBGRAPH_PORT = 4001;
/** Partner subgraphs run on their own from this port up, in `partnerAdapters` order. */
export const FIRST_PARTNER_SUBGRAPH_PORT = 4011;

/**
 * The built-in subgraphs (membership and every adapter under partners/) at their
 * standalone addresses: what schema/ is printed and composed from.
 */
export async function builtInSubgraphs(host = 'localhost'): Promise<SubgraphDefinition[]> {
  const { typeDefs } = await buildMembershipSubgraph();
  return [
    { name: 'membership', url: `http://${host}:${MEMBERSHIP_SUBGRAPH_PORT}/graphql`, typeDefs },
    ...partnerAdapters.map((adapter, i) => ({
      name: adapter.id,
      url: `http://${host}:${FIRST_PARTNER_SUBGRAPH_PORT + i}/graphql`,
      typeDefs: print(adapter.typeDefs),
    })),
  ];
}
