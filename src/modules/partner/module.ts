import { CatalogVersion } from '../../platform/catalog-cache.js';
import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import type { OutboundPolicy } from '../../platform/outbound.js';
import { PartnerAdminResolver, PartnerOwnKeyResolver } from './partner-key.resolver.js';
import { PartnerKeyService } from './partner-key.service.js';
import { PartnerSubgraph } from './partner-subgraph.entity.js';
import { PartnerSubgraphService, type SubgraphCompositionPort } from './partner-subgraph.service.js';
import { Partner, PartnerApiKey } from './partner.entity.js';
import { partnerLoaders } from './partner.loaders.js';
import { PartnerResolver } from './partner.resolver.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /** How partners' own subgraphs are checked against the supergraph and served (src/composition). */
    subgraphComposition: SubgraphCompositionPort;
    /** Where partners' own subgraphs may be (https, public addresses), at registration and every call. */
    partnerSubgraphPolicy: OutboundPolicy;
  }
  interface Services {
    partnerKeys: PartnerKeyService;
    partnerSubgraphs: PartnerSubgraphService;
  }
  interface Loaders extends PartnerLoaders {}
}
type PartnerLoaders = ReturnType<typeof partnerLoaders>;

/** The coalition's partners: their API keys (managed by admins, and by each partner for its own) and their own registered subgraphs. */
export const module = defineModule({
  name: 'partner',
  // CatalogVersion: the catalog's version (src/platform/catalog-cache.ts), here with the lowest of the catalog's modules.
  entities: [Partner, PartnerApiKey, PartnerSubgraph, CatalogVersion],
  resolvers: [PartnerResolver, PartnerAdminResolver, PartnerOwnKeyResolver],
  references: { Partner: (ref, ctx) => ctx.loaders.partnerById.load(String(ref.id)) },
  loaders: partnerLoaders,
  services: {
    partnerKeys: ({ em, deps }) => new PartnerKeyService(em, clockOf(deps)),
    partnerSubgraphs: ({ em, deps }) => new PartnerSubgraphService(em, { composition: deps.subgraphComposition, outbound: deps.partnerSubgraphPolicy }),
  },
});
