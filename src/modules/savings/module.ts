import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { MembershipSavingsResolver } from './savings.resolver.js';
import { SavingsService } from './savings.service.js';

declare module '../../platform/context.js' {
  interface Services {
    savings: SavingsService;
  }
}

/** "Total saved": the member-facing value memberships gave against their fees (renewal reminders and refunds use it too). */
export const module = defineModule({
  name: 'savings',
  resolvers: [MembershipSavingsResolver],
  services: { savings: ({ em, deps }) => new SavingsService(em, clockOf(deps)) },
});
