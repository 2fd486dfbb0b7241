export { CatalogDraft, CatalogDraftStatus, MemberMigration } from './catalog-draft.entity.js';
export type { PublicationOutcome } from './catalog-draft.entity.js';
export { CatalogError } from './catalog.errors.js';
export { CatalogService } from './catalog.service.js';
export type { CatalogPreview, DraftView } from './catalog.service.js';
export { eligibleLines, planDraft, readLiveCatalog } from './changes.js';
export type { BundleLine, CatalogChange, CatalogDiff, DraftPlan, LiveCatalog, PlanTerms } from './changes.js';
