import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/**
 * The metadata column's text: compact JSON of a non-empty object, NULL for none (`{}` is none). The caller has checked
 * its bounds (ClientMetadata of @wallet/ids).
 */
export function metadataToColumn(metadata: Readonly<Record<string, string>> | undefined): string | null {
  return metadata === undefined || Object.keys(metadata).length === 0 ? null : JSON.stringify(metadata);
}

/** The metadata a column holds: `{}` for NULL. */
export function metadataFromColumn(text: string | null): Readonly<Record<string, string>> {
  return text === null ? {} : (JSON.parse(text) as Record<string, string>);
}

/**
 * Called when an INSERT of a client's request met a unique key that was not its idempotency key: throws
 * DUPLICATE_REFERENCE naming the object that has the reference. The unique key (client_id, reference) of each table is
 * what decides (migration 0022); this only reads who holds it, after the losing transaction rolled back.
 * @param table `withdrawals` or `transfers`: references are unique per client within each
 * @throws WalletError DUPLICATE_REFERENCE when another object of the client has the reference (else returns: the
 *   caller rethrows the duplicate key error it had)
 */
export async function refuseDuplicateReference(
  db: Knex,
  table: 'withdrawals' | 'transfers',
  clientId: string,
  reference: string,
): Promise<void> {
  const holder = await db(table).where({ client_id: clientId, reference }).first<{ id: string } | undefined>('id');
  if (!holder) return;
  throw new WalletError('DUPLICATE_REFERENCE', `the reference is already used by ${holder.id}`, {
    details: { reference, id: holder.id },
  });
}
