import { defineModule } from '../../platform/module.js';
import { SettlementLineResolver, SettlementResolver } from './settlement.resolver.js';
import { SettlementService } from './settlement.service.js';

declare module '../../platform/context.js' {
  interface Services {
    settlements: SettlementService;
  }
}

/** Partners' statements: redemptions and voids per benefit at the agreed unit price. */
export const module = defineModule({
  name: 'settlement',
  resolvers: [SettlementResolver, SettlementLineResolver],
  services: { settlements: ({ em }) => new SettlementService(em) },
});
