import type { Knex } from '@wallet/db';

/** An entry of the hash-chained audit log (see @wallet/audit). */
export type AuditEntry = {
  readonly actor: string;
  readonly action: string;
  readonly subject?: string | null;
  readonly details?: Record<string, unknown>;
};

/**
 * Appends an entry to the audit log inside the caller's transaction, so the audited change and its entry commit (or
 * roll back) together. signsrv passes @wallet/audit's `appendAudit`.
 */
export type AuditFn = (trx: Knex.Transaction, entry: AuditEntry) => Promise<unknown>;
