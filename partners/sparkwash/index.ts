import { SPARKWASH_ID, SparkwashClient } from './client.js';
import { sparkwashProvisioning } from './provisioning.js';
import { sparkwashResolvers } from './resolvers.js';
import { loadPartnerTypeDefs, type PartnerAdapter } from '../sdk/index.js';

/**
 * SparkWash, a car-wash chain: the QUOTA benefit `CAR_WASH` (4 washes a membership year).
 * Its subgraph adds `Entitlement.carWash` (pass number, bookings, wash sites).
 */
export const sparkwash: PartnerAdapter<SparkwashClient> = {
  id: SPARKWASH_ID,
  name: { en: 'SparkWash', 'zh-CN': '闪亮洗车' },
  typeDefs: loadPartnerTypeDefs(import.meta.url),
  resolvers: (client) => sparkwashResolvers(client),
  createClient: (options) => new SparkwashClient(options),
  provisioning: (client) => sparkwashProvisioning(client),
};

export { SPARKWASH_ID, SparkwashClient } from './client.js';
export type {
  CreateBookingRequest,
  ProvisionPassRequest,
  SparkwashCallOptions,
  WashBookingRecord,
  WashPassRecord,
  WashSiteRecord,
} from './client.js';
