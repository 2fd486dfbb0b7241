import type { EntityManager } from '@mikro-orm/postgresql';
import { batchLoader } from '../../platform/loader.js';
import { Partner } from './partner.entity.js';

export function partnerLoaders(em: EntityManager) {
  return {
    partnerById: batchLoader((ids: readonly string[]) => em.find(Partner, { id: { $in: [...ids] } }), (p) => p.id),
  };
}
