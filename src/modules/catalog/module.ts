import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { CatalogDraft } from './catalog-draft.entity.js';
import { CatalogResolver } from './catalog.resolver.js';
import { PartnerTermsResolver } from './partners.js';
import { CatalogService } from './catalog.service.js';
import { publicationDueWork } from './publication-due-work.js';

declare module '../../platform/context.js' {
  interface Services {
    catalog: CatalogService;
  }
}

/** The catalog as product managers change it: drafts, previews, diffs, publications with an effective date. */
export const module = defineModule({
  name: 'catalog',
  entities: [CatalogDraft],
  resolvers: [CatalogResolver, PartnerTermsResolver],
  services: { catalog: ({ em, deps }) => new CatalogService(em, { timeZone: deps.timeZone, provisionedPartners: deps.provisionedPartners, ...clockOf(deps) }) },
  // Scheduled publications take effect at their date (claimed FOR UPDATE SKIP LOCKED: safe with several workers).
  dueWork: [publicationDueWork],
});
