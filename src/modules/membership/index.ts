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
export { MembershipService, PlanChangeTiming } from './membership.service.js';
export type { MembershipServiceOptions, MembershipView, PlanChangeQuote, RefundQuote } from './membership.service.js';
export { MembershipLifecycle, nextMembershipDue } from './lifecycle.js';
export type { LifecycleOptions, MembershipRights, MembershipValue } from './lifecycle.js';
export { MembershipEventType } from './timeline.js';
export { paymentNotificationsApplied } from './payment-notifications.js';
export type { NotificationAnswer } from './payment-notifications.js';
export { formatMoney } from './messages.js';
export { moveToBundleVersion } from './bundle-migration.js';
export { MembershipType } from './membership.types.js';
