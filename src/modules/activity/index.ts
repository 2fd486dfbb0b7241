export { Activity, ActivityType } from './activity.entity.js';
export { ActivityService } from './activity.service.js';
export type { ActivityInput, ActivityView } from './activity.service.js';
export { pointsToTakeBack, purchasePoints } from './earn.js';
