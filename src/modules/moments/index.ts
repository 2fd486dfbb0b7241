export { messagingRecipient } from './delivery.js';
export { MOMENT_POLICIES } from './kinds.js';
export type { MomentDataByKind, MomentMoney, MomentPolicy } from './kinds.js';
export { MemberMessagingPreference, MemberMoment, MomentKind, MomentSkipReason, MomentStatus } from './moment.entity.js';
export { Moments } from './moments.js';
export type { MomentInput } from './moments.js';
export { MOMENT_TEMPLATE_KEYS, renderMoment } from './templates.js';
