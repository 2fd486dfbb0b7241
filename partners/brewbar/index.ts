import { BREWBAR_ID, BrewbarClient } from './client.js';
import { brewbarProvisioning } from './provisioning.js';
import { brewbarResolvers } from './resolvers.js';
import { loadPartnerTypeDefs, type PartnerAdapter } from '../sdk/index.js';

/**
 * BrewBar, a coffee chain: the VOUCHER benefit `COFFEE` (10 coffees a month), its codes
 * from the pool BrewBar uploads to the coalition. Its subgraph adds `Entitlement.coffee`
 * (the newest claimed code as BrewBar's tills scan it, and its stores).
 */
export const brewbar: PartnerAdapter<BrewbarClient> = {
  id: BREWBAR_ID,
  name: { en: 'BrewBar Coffee', 'zh-CN': '醇吧咖啡' },
  typeDefs: loadPartnerTypeDefs(import.meta.url),
  resolvers: (client) => brewbarResolvers(client),
  createClient: (options) => new BrewbarClient(options),
  provisioning: (client) => brewbarProvisioning(client),
};

export { BREWBAR_ID, BREWBAR_QR_PREFIX, BrewbarClient, brewbarQrPayload, codeFromScan } from './client.js';
export type {
  BrewbarCallOptions,
  CoffeeMemberRecord,
  CoffeeScanRecord,
  CoffeeStoreRecord,
  RegisterMemberRequest,
  ScanResult,
  VoucherCodeRecord,
} from './client.js';
