import type { PaymentProvider } from '../../../payments/sdk/index.js';
import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { nextMembershipDue, nextNotificationDue } from './lifecycle.js';
import { Membership, MembershipEvent, Payment, PaymentNotificationRecord, PaymentRefund } from './membership.entity.js';
import { MemberMembershipResolver, MembershipAdminResolver, MembershipResolver, PaymentResolver } from './membership.resolver.js';
import { MembershipService } from './membership.service.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /** Where memberships are paid (a provider adapter under payments/<provider>, its sandbox outside production). */
    payments: PaymentProvider;
    /** How long subscribing and paying wait for the provider to confirm (`PAYMENT_CONFIRM_WAIT_MS`). @default 0 */
    paymentConfirmWaitMs?: number;
  }
  interface Services {
    memberships: MembershipService;
  }
}

/**
 * Paid memberships: subscribe (trial, mandate), pay, renew, dunning and grace, cancel, refund,
 * and the due work that moves them through time (members on real time or on test clocks).
 */
export const module = defineModule({
  name: 'membership',
  entities: [Membership, Payment, PaymentRefund, MembershipEvent, PaymentNotificationRecord],
  resolvers: [MembershipResolver, MemberMembershipResolver, MembershipAdminResolver, PaymentResolver],
  services: {
    memberships: ({ em, deps, services }) =>
      new MembershipService(em, {
        payments: deps.payments,
        rights: services.entitlements,
        value: services.savings,
        timeZone: deps.timeZone,
        payerIdOf: (memberId) => deps.pseudonyms.forPartner(memberId, `payments-${deps.payments.name}`),
        logger: deps.logger,
        confirmWaitMs: deps.paymentConfirmWaitMs ?? 0,
        ...(deps.memberClocks ? { clocks: deps.memberClocks } : {}),
        ...clockOf(deps),
      }),
  },
  dueWork: [
    {
      name: 'membership-lifecycle',
      nextDue: nextMembershipDue,
      // Claims under SKIP LOCKED with a lease (see MembershipLifecycle.runDue): safe with several workers.
      runDue: (scope) => scope.services.memberships.lifecycle.runDue(scope),
    },
    {
      name: 'payment-notifications',
      nextDue: nextNotificationDue,
      // Applying is idempotent (a settled charge is never settled again): two workers may both try.
      runDue: (scope) => (scope.clockId ? Promise.resolve(0) : scope.services.memberships.lifecycle.applyLeftNotifications(scope.now, scope.limit)),
    },
  ],
});
