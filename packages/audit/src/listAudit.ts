import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { readAuditRows } from './readAuditRows.js';

/** An audit entry as the console and walletctl show it. */
export type AuditEntry = {
  readonly seq: bigint;
  /** `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC). */
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  /** The details parsed; a stored text that is not JSON (only a tampered row) comes as `{ unparsable: text }`. */
  readonly details: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
};

export type ListAuditOptions = {
  /** At most this many entries, 1 to 1000. */
  limit: number;
  /** Only entries before this seq (the next page: the last seq of the previous one). */
  beforeSeq?: bigint;
  action?: string;
  actor?: string;
  subject?: string;
};

/**
 * Audit entries, newest first, optionally of one action, actor or subject (exact match). Listing does not verify the
 * chain: {@link verifyAudit} does.
 * @param db the database
 * @param options page size, keyset cursor and filters
 * @returns up to `limit` entries
 * @throws WalletError VALIDATION_FAILED for a limit outside 1..1000
 */
export async function listAudit(db: Knex, options: ListAuditOptions): Promise<AuditEntry[]> {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 1000) {
    throw new WalletError('VALIDATION_FAILED', 'limit must be a whole number from 1 to 1000', { details: { field: 'limit' } });
  }
  const rows = await readAuditRows(db, {
    order: 'desc',
    limit: options.limit,
    ...(options.beforeSeq === undefined ? {} : { beforeSeq: options.beforeSeq }),
    ...(options.action === undefined ? {} : { action: options.action }),
    ...(options.actor === undefined ? {} : { actor: options.actor }),
    ...(options.subject === undefined ? {} : { subject: options.subject }),
  });
  return rows.map((row) => ({ ...row, details: parseDetails(row.details) }));
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // falls through: shown as stored
  }
  return { unparsable: text };
}
