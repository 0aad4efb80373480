import type { Knex } from '@wallet/db';
import type { Logger } from '@wallet/logger';

/** Kinds of operator alarms signsrv records (table sign_alerts) and logs at error level. */
export const AlertKind = {
  /** A blockout_req entry differs from the withdrawal in MySQL (altered in Redis): refused. */
  tamperedRequest: 'tampered_request',
  /** The withdrawal row no longer matches its localhash (altered in MySQL): not signed. */
  integrityMismatch: 'integrity_mismatch',
  /** A nonce the allocator handed out was used on chain by a transaction signsrv did not sign. */
  nonceUsedElsewhere: 'nonce_used_elsewhere',
  /** The node's nonce for the hot wallet is ahead of the allocator: someone else sends from the hot wallet. */
  nonceAhead: 'nonce_ahead',
  /** The chain refuses the transaction (e.g. the hot wallet cannot pay); it is retried. */
  sendRefused: 'send_refused',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/**
 * Records an operator alarm (outside any business transaction, so it survives that transaction's rollback).
 * Details carry public data only: ids, addresses, amounts, hashes; never key material.
 */
export async function raiseAlert(
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  log.error({ alert: kind, withdrawalId, ...details }, `ALARM: ${kind}`);
  await db('sign_alerts').insert({ kind, withdrawal_id: withdrawalId, details: JSON.stringify(details) });
}
