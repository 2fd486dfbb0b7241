import { defineModule } from '../../platform/module.js';
import { AuditEntry } from './audit-entry.entity.js';
import { AuditTrailResolver, AuditTrailService } from './audit-trail.resolver.js';

declare module '../../platform/context.js' {
  interface Services {
    auditTrail: AuditTrailService;
  }
}

/** The audit log: one hash-chained row per audited change, written in the change's transaction. */
export const module = defineModule({
  name: 'audit',
  entities: [AuditEntry],
  resolvers: [AuditTrailResolver],
  services: { auditTrail: ({ em }) => new AuditTrailService(em) },
});
