import type { EntityManager } from '@mikro-orm/postgresql';
import { batchLoader } from '../../platform/loader.js';
import { Entitlement } from './entitlement.entity.js';

export function entitlementLoaders(em: EntityManager) {
  return {
    entitlementById: batchLoader(
      (ids: readonly string[]) => em.find(Entitlement, { id: { $in: [...ids] } }),
      (e) => e.id,
    ),
  };
}
