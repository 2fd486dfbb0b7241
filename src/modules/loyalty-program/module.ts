import { defineModule } from '../../platform/module.js';
import { LoyaltyProgram, LoyaltyReward, LoyaltyTier, LoyaltyTierBenefit } from './loyalty-program.entity.js';
import { LoyaltyProgramResolver } from './loyalty-program.resolver.js';
import { LoyaltyProgramService } from './loyalty-program.service.js';

declare module '../../platform/context.js' {
  interface Services {
    loyaltyProgram: LoyaltyProgramService;
  }
}

/** The loyalty program's configuration: earn rules, expiry, refunds, the tier ladder, the benefits tiers unlock and the rewards points buy. */
export const module = defineModule({
  name: 'loyalty-program',
  entities: [LoyaltyProgram, LoyaltyTier, LoyaltyReward, LoyaltyTierBenefit],
  resolvers: [LoyaltyProgramResolver],
  services: { loyaltyProgram: ({ em, deps }) => new LoyaltyProgramService(em, deps.timeZone) },
});
