export { BillingPeriod, GraceAccess, Plan, RefundPolicy } from './plan.entity.js';
export { planLoaders } from './plan.loaders.js';
export { PlanService } from './plan.service.js';
export { PlanType } from './plan.types.js';
