import { SKYMILES_ID, SkymilesClient } from './client.js';
import { skymilesProvisioning } from './provisioning.js';
import { skymilesResolvers } from './resolvers.js';
import { loadPartnerTypeDefs, type PartnerAdapter } from '../sdk/index.js';

/**
 * SkyMiles, an airline: the conversion benefit `SKYMILES_BONUS` (e.g. 2,000 bonus miles a
 * membership year, the benefit's quota), credited to the member's SkyMiles account and
 * confirmed asynchronously by a signed `right.acknowledged` webhook. Its subgraph adds
 * `Entitlement.milesConversion` (status, miles, credit reference).
 */
export const skymiles: PartnerAdapter<SkymilesClient> = {
  id: SKYMILES_ID,
  name: { en: 'SkyMiles', 'zh-CN': '天程里程' },
  typeDefs: loadPartnerTypeDefs(import.meta.url),
  resolvers: (client) => skymilesResolvers(client),
  createClient: (options) => new SkymilesClient(options),
  provisioning: (client) => skymilesProvisioning(client),
};

export { SKYMILES_ID, SkymilesClient } from './client.js';
export type { ConversionRecord, ConversionRequest, ConversionStatus, SkymilesCallOptions } from './client.js';
