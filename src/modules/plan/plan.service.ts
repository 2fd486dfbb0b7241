import type { EntityManager } from '@mikro-orm/postgresql';
import { Plan } from './plan.entity.js';

/** The public catalog of plans on sale. */
export class PlanService {
  constructor(private readonly em: EntityManager) {}

  listActive(): Promise<Plan[]> {
    return this.em.find(Plan, { active: true }, { orderBy: { priceAmount: 'asc', code: 'asc' } });
  }
}
