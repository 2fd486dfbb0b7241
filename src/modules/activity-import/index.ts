export { ActivityImport, ActivityImportFormat, ActivityImportLane, ActivityImportLine, ActivityImportLineOutcome, ActivityImportStatus } from './activity-import.entity.js';
export { ActivityImportError } from './activity-import.errors.js';
export { ActivityImportService, MAX_IMPORTS_PAGE, MAX_LINES_PAGE } from './activity-import.service.js';
export type { ActivityImportLinePage, ActivityImportLineView, ActivityImportView } from './activity-import.service.js';
export { ActivityImportWorker } from './activity-import.worker.js';
export type { ActivityImportWorkerOptions, DrainOptions } from './activity-import.worker.js';
export { ACTIVITY_FIELDS, LANES, MAX_LINE_BYTES } from './import-format.js';
export type { ImportedActivity } from './import-format.js';
