export { AuditEntry } from './audit-entry.entity.js';
export { auditHash, auditHmac, canonicalJson, GENESIS_HASH } from './audit-hash.js';
export type { ChainedFields, KeyedChainedFields } from './audit-hash.js';
export { AuditKeyring, auditKeyId, auditKeySourceOf, loadAuditKeyring, MIN_AUDIT_KEY_LENGTH } from './audit-keyring.js';
export type { AuditKey, AuditKeySource } from './audit-keyring.js';
export { actorsOfMember, AUDIT_CHAINS, AuditLog, auditContextOf, auditReason, configureAuditLog, configuredAuditKeyring, openAuditLog, SYSTEM_AUDIT } from './audit-log.js';
export type { AppendOptions, AuditContext, AuditLogOptions, AuditRecord } from './audit-log.js';
export { verifyAuditChain } from './audit-verify.js';
export type { AuditChainBreak, AuditChainReport, AuditChainSummary, VerifyAuditChainOptions } from './audit-verify.js';
