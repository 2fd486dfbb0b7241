import type { AppDependencies } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { ActivityImport, ActivityImportLane, ActivityImportLine } from './activity-import.entity.js';
import { ActivityImportResolver } from './activity-import.resolver.js';
import { ActivityImportService } from './activity-import.service.js';
import { ActivityImportWorker } from './activity-import.worker.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /** How this process's workers apply imports (`ACTIVITY_IMPORT_CONCURRENCY`). @default { concurrency: 4 } */
    activityImport?: { concurrency: number };
  }
  interface Services {
    activityImports: ActivityImportService;
  }
}

/** How long one run of the import job goes on before it hands its lanes back (the next run, a second later, takes them again). */
const RUN_BUDGET_MS = 60_000;

/** Bulk imports of activities (NDJSON, CSV): uploads stored line by line, applied by workers through the activity module, with progress and a per-line report. */
export const module = defineModule({
  name: 'activity-import',
  entities: [ActivityImport, ActivityImportLine, ActivityImportLane],
  resolvers: [ActivityImportResolver],
  services: { activityImports: ({ em }) => new ActivityImportService(em) },
  jobs: [
    {
      name: 'activity-import',
      everyMs: 1000,
      // Lanes claimed under SKIP LOCKED with a lease, one worker per lane, each line's outcome written once: safe with several workers.
      run: ({ orm, deps, logger, signal }) =>
        new ActivityImportWorker(orm, deps, { ...settings(deps), logger }).drain({ budgetMs: RUN_BUDGET_MS, ...(signal ? { signal } : {}) }),
    },
  ],
});

function settings(deps: AppDependencies): { concurrency?: number } {
  return deps.activityImport ? { concurrency: deps.activityImport.concurrency } : {};
}
