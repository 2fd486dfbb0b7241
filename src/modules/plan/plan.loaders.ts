import type { EntityManager } from '@mikro-orm/postgresql';
import { batchLoader } from '../../platform/loader.js';
import { Plan } from './plan.entity.js';

export function planLoaders(em: EntityManager) {
  return {
    planById: batchLoader((ids: readonly string[]) => em.find(Plan, { id: { $in: [...ids] } }), (p) => p.id),
    planByCode: batchLoader((codes: readonly string[]) => em.find(Plan, { code: { $in: [...codes] } }), (p) => p.code),
  };
}
