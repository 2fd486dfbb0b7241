export { Benefit, BenefitKind, BenefitPeriod, Bundle, BundleBenefit, BundleVersion, PARTNER_HELD_KINDS } from './bundle.entity.js';
export { bundleLoaders, catalogBenefits } from './bundle.loaders.js';
export { agreedUnitPrice, BenefitService } from './benefit.service.js';
export type { PriceView } from './benefit.service.js';
export { BenefitType, PlanBenefitType } from './benefit.types.js';
