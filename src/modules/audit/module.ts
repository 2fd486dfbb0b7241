import { defineModule } from '../../platform/module.js';
import { AuditEntry } from './audit-entry.entity.js';

/** The audit log: one hash-chained row per audited change, written in the change's transaction. */
export const module = defineModule({
  name: 'audit',
  entities: [AuditEntry],
});
