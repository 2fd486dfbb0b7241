import type { EntityManager } from '@mikro-orm/postgresql';
import { batchLoader } from '../../platform/loader.js';
import { entitlementViews } from './entitlement.service.js';

export function entitlementLoaders(em: EntityManager) {
  return {
    /** Entitlements as views (one plain statement per batch: every resolver reads their columns and ids). */
    entitlementById: batchLoader((ids: readonly string[]) => entitlementViews(em, 'where e.id = any(?::uuid[])', [`{${ids.join(',')}}`]), (e) => e.id),
  };
}
