import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { Entitlement } from './entitlement.entity.js';
import { entitlementLoaders } from './entitlement.loaders.js';
import { EntitlementResolver, MemberEntitlementsResolver } from './entitlement.resolver.js';
import { EntitlementService } from './entitlement.service.js';
import { programGrantExpiryDueWork } from './program-grants.js';

declare module '../../platform/context.js' {
  interface Services {
    entitlements: EntitlementService;
  }
  interface Loaders extends EntitlementLoaders {}
}
type EntitlementLoaders = ReturnType<typeof entitlementLoaders>;

/**
 * Entitlements: one member's right to one benefit for one period; the only writer of its state
 * (transitions.ts, revoke.ts, materialize.ts, membership-rights.ts). Periods roll with their
 * membership's due work (the membership module drives them through the MembershipRights port).
 */
export const module = defineModule({
  name: 'entitlement',
  entities: [Entitlement],
  resolvers: [EntitlementResolver, MemberEntitlementsResolver],
  references: {
    // Only the owner (or the benefit's partner) may see an entitlement, through any path.
    Entitlement: async (ref, ctx) => {
      const entitlement = await ctx.loaders.entitlementById.load(String(ref.id));
      if (!entitlement) return null;
      if (ctx.principal.kind === 'member' && entitlement.member.id === ctx.principal.memberId) return entitlement;
      if (ctx.principal.kind === 'partner') {
        const benefit = await ctx.loaders.benefitById.load(entitlement.benefit.id);
        if (benefit?.partner.id === ctx.principal.partnerId) return entitlement;
      }
      return null;
    },
  },
  loaders: entitlementLoaders,
  services: {
    entitlements: ({ em, deps }) => new EntitlementService(em, { timeZone: deps.timeZone, provisionedPartners: deps.provisionedPartners, ...clockOf(deps) }),
  },
  // The program's grants end on their own (a membership's rights roll with its due work).
  dueWork: [programGrantExpiryDueWork],
});
