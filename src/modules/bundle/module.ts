import { defineModule } from '../../platform/module.js';
import { BenefitResolver, PartnerBenefitsResolver, PlanBenefitResolver } from './benefit.resolver.js';
import { BenefitService } from './benefit.service.js';
import { Benefit, Bundle, BundleBenefit, BundleVersion } from './bundle.entity.js';
import { bundleLoaders } from './bundle.loaders.js';

declare module '../../platform/context.js' {
  interface Services {
    benefits: BenefitService;
  }
  interface Loaders extends BundleLoaders {}
}
type BundleLoaders = ReturnType<typeof bundleLoaders>;

/** Benefits partners grant and the versioned bundles plans sell. */
export const module = defineModule({
  name: 'bundle',
  entities: [Benefit, Bundle, BundleVersion, BundleBenefit],
  resolvers: [BenefitResolver, PlanBenefitResolver, PartnerBenefitsResolver],
  references: { Benefit: (ref, ctx) => ctx.loaders.benefitByCode.load(String(ref.code)) },
  loaders: bundleLoaders,
  services: { benefits: ({ em }) => new BenefitService(em) },
});
