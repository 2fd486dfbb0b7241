import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { Membership, Payment } from './membership.entity.js';
import { MemberMembershipResolver, MembershipResolver } from './membership.resolver.js';
import { MembershipService } from './membership.service.js';
import type { PaymentProvider } from './payment-provider.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /** Where memberships are paid (the development provider confirms at once). */
    payments: PaymentProvider;
  }
  interface Services {
    memberships: MembershipService;
  }
}

/** Paid memberships: subscribe, pay, cancel, refund. */
export const module = defineModule({
  name: 'membership',
  entities: [Membership, Payment],
  resolvers: [MembershipResolver, MemberMembershipResolver],
  services: {
    memberships: ({ em, deps, services }) =>
      new MembershipService(em, { payments: deps.payments, rights: services.entitlements, timeZone: deps.timeZone, ...clockOf(deps) }),
  },
});
