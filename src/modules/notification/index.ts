export { MemberNotification } from './notification.entity.js';
export { Notifications } from './notifications.js';
export type { NotificationInput } from './notifications.js';
