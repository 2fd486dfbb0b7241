export { Partner, PartnerApiKey } from './partner.entity.js';
export { PartnerKeyService } from './partner-key.service.js';
export type { CreatedApiKey } from './partner-key.service.js';
export { PartnerSubgraph } from './partner-subgraph.entity.js';
export { PartnerSubgraphService } from './partner-subgraph.service.js';
export type { PartnerSubgraphOptions } from './partner-subgraph.service.js';
export type { SubgraphCompositionPort, SubgraphRegistration } from './partner-subgraph.service.js';
export { PartnerType } from './partner.types.js';
