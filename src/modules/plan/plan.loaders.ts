import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CatalogCache } from '../../platform/catalog-cache.js';
import { Plan } from './plan.entity.js';

// Plans change through the catalog (rarely): this process keeps them while the catalog version holds.
const plansById = new CatalogCache((em, ids: readonly string[]) => em.find(Plan, { id: { $in: [...ids] } }), (p) => p.id);
const plansByCode = new CatalogCache((em, codes: readonly string[]) => em.find(Plan, { code: { $in: [...codes] } }), (p) => p.code);

export function planLoaders(em: EntityManager) {
  return {
    planById: new DataLoader((ids: readonly string[]) => plansById.load(em, ids)),
    planByCode: new DataLoader((codes: readonly string[]) => plansByCode.load(em, codes)),
  };
}
