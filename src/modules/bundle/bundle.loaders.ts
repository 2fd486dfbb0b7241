import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { CatalogCache } from '../../platform/catalog-cache.js';
import { batchLoader, groupLoader } from '../../platform/loader.js';
import { Benefit, BundleBenefit, BundleVersion } from './bundle.entity.js';

// Benefits change through the catalog (a few times a day): this process keeps them while the catalog version holds.
const benefitsById = new CatalogCache((em, ids: readonly string[]) => em.find(Benefit, { id: { $in: [...ids] } }), (b) => b.id);
const benefitsByCode = new CatalogCache((em, codes: readonly string[]) => em.find(Benefit, { code: { $in: [...codes] } }), (b) => b.code);

/** Benefits by id from what this process keeps of the catalog (for services off the resolvers' loaders: the till's token checks). */
export function catalogBenefits(em: EntityManager, ids: readonly string[]): Promise<Array<Benefit | undefined>> {
  return benefitsById.load(em, ids);
}

export function bundleLoaders(em: EntityManager) {
  return {
    benefitById: new DataLoader((ids: readonly string[]) => benefitsById.load(em, ids)),
    benefitByCode: new DataLoader((codes: readonly string[]) => benefitsByCode.load(em, codes)),
    /** Each partner's benefits, by code. */
    benefitsByPartner: groupLoader((partnerIds: readonly string[]) => em.find(Benefit, { partner: { $in: [...partnerIds] } }, { orderBy: { code: 'asc' } }), (b) => b.partner.id),
    bundleVersionById: batchLoader(
      (ids: readonly string[]) => em.find(BundleVersion, { id: { $in: [...ids] } }),
      (v) => v.id,
    ),
    /** The benefits a bundle version grants, in display order. */
    benefitsByBundleVersion: groupLoader(
      (versionIds: readonly string[]) =>
        em.find(BundleBenefit, { bundleVersion: { $in: [...versionIds] } }, { orderBy: { position: 'asc' } }),
      (bb) => bb.bundleVersion.id,
    ),
    /** The version of each bundle in effect now (latest effectiveFrom not in the future). */
    currentVersionByBundle: batchLoader(
      async (bundleIds: readonly string[]) => {
        const versions = await em.find(
          BundleVersion,
          { bundle: { $in: [...bundleIds] }, effectiveFrom: { $lte: new Date() } },
          { orderBy: { bundle: 'asc', effectiveFrom: 'desc', version: 'desc' } },
        );
        const seen = new Set<string>();
        return versions.filter((v) => !seen.has(v.bundle.id) && seen.add(v.bundle.id));
      },
      (v) => v.bundle.id,
    ),
  };
}
