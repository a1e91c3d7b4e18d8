/**
 * The audit room's public module: the audit log (one call records an admin action) and the admin identities
 * (named admin tokens). Other rooms import from here, never from the files behind it.
 */
export {
  AdminIdentities,
  type AdminIdentitiesOptions,
  type AdminIdentity,
  type AdminPrincipal,
  BOOTSTRAP_ADMIN,
} from './admin-identities.ts';
export {
  AuditLog,
  type AuditLogOptions,
  type AuditRecord,
  type AuditRecorder,
  auditEntryJson,
  NO_AUDIT,
} from './audit-log.ts';
export { auditQueryOf } from './query.ts';
export { REDACTED, redactForAudit } from './redact.ts';
