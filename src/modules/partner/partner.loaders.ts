import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CatalogCache } from '../../platform/catalog-cache.js';
import { Partner } from './partner.entity.js';

// Partners change through the catalog (rarely): this process keeps them while the catalog version holds.
const partnersById = new CatalogCache((em, ids: readonly string[]) => em.find(Partner, { id: { $in: [...ids] } }), (p) => p.id);

export function partnerLoaders(em: EntityManager) {
  return {
    partnerById: new DataLoader((ids: readonly string[]) => partnersById.load(em, ids)),
  };
}
