import { defineModule } from '../../platform/module.js';
import { Activity, ChannelApiKey, MemberBirthday } from './activity.entity.js';
import { ActivityResolver, BirthdayResolver, MemberBirthdayResolver } from './activity.resolver.js';
import { ActivityService } from './activity.service.js';
import { ChannelKeyService } from './channel-keys.js';

declare module '../../platform/context.js' {
  interface Services {
    activities: ActivityService;
    channelKeys: ChannelKeyService;
  }
}

/** Members' activities from every channel (purchases, refunds, check-ins, reviews, …) and what they earn. */
export const module = defineModule({
  name: 'activity',
  entities: [Activity, MemberBirthday, ChannelApiKey],
  resolvers: [ActivityResolver, MemberBirthdayResolver, BirthdayResolver],
  services: { activities: ({ em, deps }) => new ActivityService(em, deps), channelKeys: ({ em }) => new ChannelKeyService(em) },
});
