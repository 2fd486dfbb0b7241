export {
  buildDataExport,
  DATA_EXPORT_MEDIA_TYPE,
  DATA_EXPORT_PROFILE,
  DATA_EXPORT_SCHEMA_VERSION,
  DATA_EXPORT_SECTIONS,
  PSEUDONYM_SECTION,
} from './data-export.js';
export type { DataExportSection, DataExportView } from './data-export.js';
export { DELETE_CONFIRMATION, PrivacyService, SELF_SERVICE_REASON } from './privacy.service.js';
export type { ErasureView, PrivacyServiceOptions } from './privacy.service.js';
