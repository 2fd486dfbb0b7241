import type { EntityManager } from '@mikro-orm/postgresql';
import { batchLoader } from '../../platform/loader.js';
import { RedemptionVoid } from './redemption-void.entity.js';

export function redemptionLoaders(em: EntityManager) {
  return {
    /** The void of each redemption; undefined when it stands. */
    voidByRedemptionId: batchLoader(
      (ids: readonly string[]) => em.find(RedemptionVoid, { redemption: { $in: [...ids] } }),
      (v) => v.redemption.id,
    ),
  };
}
