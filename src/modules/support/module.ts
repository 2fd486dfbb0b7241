import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { SupportResolver } from './support.resolver.js';
import { SupportService } from './support.service.js';

declare module '../../platform/context.js' {
  interface Services {
    support: SupportService;
  }
}

/** Support's member lookup and profile: find a member, see what they see (every read audited). */
export const module = defineModule({
  name: 'support',
  resolvers: [SupportResolver],
  services: {
    support: ({ em, deps }) => new SupportService(em, { ...(deps.memberClocks ? { memberClocks: deps.memberClocks } : {}), ...clockOf(deps) }),
  },
});
