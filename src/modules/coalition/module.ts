import { defineModule } from '../../platform/module.js';
import type { MembershipCardTokens } from '../token/index.js';
import { CoalitionResolver, SettlementPointsResolver } from './coalition.resolver.js';
import { CoalitionService } from './coalition.service.js';
import { MembershipCard } from './membership-card.entity.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /** Signs and verifies membership card tokens (the token keys, their own typ). */
    cards: MembershipCardTokens;
  }
  interface Services {
    coalition: CoalitionService;
  }
}

/** The coalition at partners' tills: membership cards, points earned and burned there, and their settlement. */
export const module = defineModule({
  name: 'coalition',
  entities: [MembershipCard],
  resolvers: [CoalitionResolver, SettlementPointsResolver],
  services: {
    coalition: ({ em, deps, services }) =>
      new CoalitionService(em, { cards: deps.cards, pseudonyms: deps.pseudonyms, activities: services.activities, points: services.points, now: deps.now, memberClocks: deps.memberClocks }),
  },
});
