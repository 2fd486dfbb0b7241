import { defineModule } from '../../platform/module.js';
import { MemberNotification } from './notification.entity.js';
import { MemberNotificationResolver, MemberNotificationsResolver } from './notification.resolver.js';
import { NotificationService } from './notification.service.js';

declare module '../../platform/context.js' {
  interface Services {
    notifications: NotificationService;
  }
}

/** Members' notifications: what the program tells a member (renewal reminders, failed charges), in their feed. */
export const module = defineModule({
  name: 'notification',
  entities: [MemberNotification],
  resolvers: [MemberNotificationResolver, MemberNotificationsResolver],
  services: { notifications: ({ em }) => new NotificationService(em) },
});
