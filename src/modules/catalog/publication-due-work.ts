import type { DueWork } from '../../platform/module.js';
import { CatalogDraft, CatalogDraftStatus } from './catalog-draft.entity.js';
import { CatalogService } from './catalog.service.js';

/**
 * Scheduled publications take effect at their effective date (real time: the catalog is one for
 * everyone): the plans' new terms, and the members of bundles they migrate moved with their
 * rights. Each is claimed `FOR UPDATE SKIP LOCKED` in the transaction that applies it, so two
 * workers never apply one twice, and a cancellation waits for it (or it for the cancellation).
 */
export const publicationDueWork: DueWork = {
  name: 'catalog-publication',

  async nextDue(em, clockId) {
    if (clockId) return null;
    const [row] = await em.execute<{ due: Date | null }[]>(`select min(effective_at) as due from catalog_draft where status = 'SCHEDULED'`);
    return row?.due ? new Date(row.due) : null;
  },

  async runDue({ em, now, clockId, limit, deps }) {
    if (clockId) return 0;
    let ran = 0;
    while (ran < limit) {
      const applied = await em.fork().transactional(async (tx) => {
        const [due] = await tx.execute<{ id: string }[]>(
          `select id from catalog_draft where status = 'SCHEDULED' and effective_at <= ? order by effective_at, id limit 1 for update skip locked`,
          [now],
        );
        if (!due) return false;
        const draft = await tx.findOneOrFail(CatalogDraft, { id: due.id });
        if (draft.status !== CatalogDraftStatus.SCHEDULED) return false;
        await new CatalogService(tx, deps).takeEffect(tx, draft, draft.effectiveAt!);
        return true;
      });
      if (!applied) break;
      ran++;
    }
    return ran;
  },
};
