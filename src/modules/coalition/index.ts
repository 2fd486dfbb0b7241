export { CoalitionService } from './coalition.service.js';
export type { CardCheckView, IssuedCardView, PartnerBurnView, PartnerEarningView, PartnerOrder } from './coalition.service.js';
export { MembershipCard } from './membership-card.entity.js';
