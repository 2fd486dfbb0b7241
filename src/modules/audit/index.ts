export { AuditEntry } from './audit-entry.entity.js';
export { AuditLog, auditContextOf, auditReason, auditHash, canonicalJson, GENESIS_HASH, SYSTEM_AUDIT, verifyAuditChain } from './audit-log.js';
export type { AuditChainReport, AuditContext, AuditRecord, ChainedFields } from './audit-log.js';
