export { type AuditEntryInput, appendAudit } from './appendAudit.js';
export { type AuditHashInput, GENESIS_HASH, auditHash } from './auditHash.js';
export { canonicalJson } from './canonicalJson.js';
export { type AuditEntry, type ListAuditOptions, listAudit } from './listAudit.js';
export { type AuditProblem, type AuditProgress, type AuditVerification, type VerifyAuditOptions, verifyAudit } from './verifyAudit.js';
