export {
  LIVE_MEMBERSHIP_STATUSES,
  Membership,
  MembershipEvent,
  MembershipStatus,
  Payment,
  PaymentKind,
  PaymentRefund,
  PaymentStatus,
  RefundStatus,
} from './membership.entity.js';
export { MembershipService } from './membership.service.js';
export type { MembershipServiceOptions, RefundQuote } from './membership.service.js';
export { MembershipLifecycle, nextMembershipDue } from './lifecycle.js';
export type { LifecycleOptions, MembershipRights, MembershipValue } from './lifecycle.js';
export { MembershipEventType } from './timeline.js';
export type { NotificationAnswer } from './payment-notifications.js';
