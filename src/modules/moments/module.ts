import type { MessagingProvider } from '../../../messaging/sdk/index.js';
import type { MomentsConfig } from '../../platform/config.js';
import { defineModule } from '../../platform/module.js';
import { momentDueWork } from './delivery.js';
import { MemberMessagingPreference, MemberMoment } from './moment.entity.js';
import { MemberMessagingResolver, MessagingPreferencesResolver } from './moments.resolver.js';
import { MessagingPreferencesService } from './preferences.service.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /**
     * Where members' messages go (an adapter under messaging/<provider>, its sandbox outside
     * production). Absent: this process delivers no moment; they wait for one that can.
     */
    messaging?: MessagingProvider;
    /** Quiet hours, the frequency cap, templates (`MESSAGING_*`). */
    moments: MomentsConfig;
  }
  interface Services {
    messagingPreferences: MessagingPreferencesService;
  }
}

/**
 * Members' moments (joined, tier moves, points earned and expiring, benefits, renewals, member
 * days): recorded by other modules in their own transactions into an outbox, delivered as
 * messages through the messaging provider in the member's locale, outside quiet hours, under a
 * frequency cap, never against an opt-out.
 */
export const module = defineModule({
  name: 'moments',
  entities: [MemberMoment, MemberMessagingPreference],
  resolvers: [MemberMessagingResolver, MessagingPreferencesResolver],
  services: { messagingPreferences: ({ em, deps }) => new MessagingPreferencesService(em, deps) },
  // Claims under SKIP LOCKED with a lease, one member's moments one after another: safe with several workers.
  dueWork: [momentDueWork],
});
