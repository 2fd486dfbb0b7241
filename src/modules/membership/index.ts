export { Membership, MembershipStatus, Payment, PaymentStatus } from './membership.entity.js';
export { MembershipService } from './membership.service.js';
export type { MembershipRights, MembershipServiceOptions } from './membership.service.js';
export { DevPaymentProvider } from './payment-provider.js';
export type { ChargeOutcome, ChargeRequest, ChargeResult, PaymentProvider, RefundRequest } from './payment-provider.js';
