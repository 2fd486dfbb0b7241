import { defineModule } from '../../platform/module.js';
import { RewardRedemption } from './reward.entity.js';
import { MemberRewardsResolver, RewardRedemptionResolver } from './reward.resolver.js';
import { RewardService } from './reward.service.js';

declare module '../../platform/context.js' {
  interface Services {
    rewards: RewardService;
  }
}

/** Rewards: the catalog points buy, redemptions delivered as rights (vouchers, quota units, miles), and giving them back. */
export const module = defineModule({
  name: 'reward',
  entities: [RewardRedemption],
  resolvers: [MemberRewardsResolver, RewardRedemptionResolver],
  services: { rewards: ({ em, deps }) => new RewardService(em, deps) },
});
