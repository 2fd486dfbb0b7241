export { Activity, ActivityType, MemberBirthday } from './activity.entity.js';
export { ActivityService, PARTNER_CHANNEL_PREFIX, partnerChannel } from './activity.service.js';
export type { ActivityInput, ActivitySource, ActivityView } from './activity.service.js';
export { pointsToTakeBack, purchasePoints } from './earn.js';
export { activityType } from './activity.resolver.js';
export { ActivityObjectType, MoneyInput } from './activity.types.js';
export { ChannelKeyService } from './channel-keys.js';
export type { ChannelKeyView, CreatedChannelKey } from './channel-keys.js';
