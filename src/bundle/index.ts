export { Benefit, BenefitKind, BenefitPeriod, Bundle, BundleBenefit, BundleVersion } from './bundle.entity.js';
export { bundleLoaders } from './bundle.loaders.js';
