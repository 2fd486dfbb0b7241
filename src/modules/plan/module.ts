import { defineModule } from '../../platform/module.js';
import { Plan } from './plan.entity.js';
import { planLoaders } from './plan.loaders.js';
import { PlanResolver } from './plan.resolver.js';
import { PlanService } from './plan.service.js';

declare module '../../platform/context.js' {
  interface Services {
    plans: PlanService;
  }
  interface Loaders extends PlanLoaders {}
}
type PlanLoaders = ReturnType<typeof planLoaders>;

/** Paid plans on sale: price, billing period, the bundle they sell. */
export const module = defineModule({
  name: 'plan',
  entities: [Plan],
  resolvers: [PlanResolver],
  references: { Plan: (ref, ctx) => ctx.loaders.planByCode.load(String(ref.code)) },
  loaders: planLoaders,
  services: { plans: ({ em }) => new PlanService(em) },
});
