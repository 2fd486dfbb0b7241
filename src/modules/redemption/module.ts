import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { RedemptionHistoryService } from './redemption-history.service.js';
import { RedemptionVoid } from './redemption-void.entity.js';
import { Redemption } from './redemption.entity.js';
import { redemptionLoaders } from './redemption.loaders.js';
import { RedemptionResolver } from './redemption.resolver.js';
import { RedemptionService } from './redemption.service.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /** How long after a redemption its partner may void it, in seconds (`REDEMPTION_VOID_WINDOW_SECONDS`). @default 900 */
    redemptionVoidWindowSeconds?: number;
  }
  interface Services {
    redemptions: RedemptionService;
    redemptionHistory: RedemptionHistoryService;
  }
  interface Loaders extends RedemptionLoaders {}
}
type RedemptionLoaders = ReturnType<typeof redemptionLoaders>;

/** Partners redeem members' tokens (exactly once), void mistakes and page their history. */
export const module = defineModule({
  name: 'redemption',
  entities: [Redemption, RedemptionVoid],
  resolvers: [RedemptionResolver],
  loaders: redemptionLoaders,
  services: {
    redemptions: ({ em, deps, services }) =>
      new RedemptionService(em, {
        tokens: services.tokens,
        ...(deps.redemptionVoidWindowSeconds !== undefined ? { voidWindowSeconds: deps.redemptionVoidWindowSeconds } : {}),
        ...(deps.memberClocks ? { memberClocks: deps.memberClocks } : {}),
        ...clockOf(deps),
      }),
    redemptionHistory: ({ em }) => new RedemptionHistoryService(em),
  },
});
