import { defineModule } from '../../platform/module.js';
import { tierEvaluationDueWork, tierRightsDueWork } from './tier-due-work.js';
import { MemberTier, TierChange, TierQualifyingMonth } from './tier.entity.js';
import { MemberTierResolver } from './tier.resolver.js';
import { TierService } from './tier.service.js';

declare module '../../platform/context.js' {
  interface Services {
    tiers: TierService;
  }
}

/** Tiers: the ladder members climb by qualifying spend, scheduled evaluations, soft landings, history, progress that explains itself and the rights a tier unlocks. */
export const module = defineModule({
  name: 'tier',
  entities: [MemberTier, TierChange, TierQualifyingMonth],
  resolvers: [MemberTierResolver],
  services: { tiers: ({ em, deps }) => new TierService(em, deps) },
  // Claims under SKIP LOCKED with a lease, each member evaluated under their loyalty lock: safe with several workers.
  dueWork: [tierEvaluationDueWork, tierRightsDueWork],
});
