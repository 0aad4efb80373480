import type { Knex } from 'knex';

/**
 * withdrawals.cancel_idempotency_key (transrv): the Idempotency-Key of the client's cancel that cancelled the
 * withdrawal, written in the cancel's transaction. A cancel whose answer was lost (a gateway timeout while transrv
 * was paused, a dead gateway) is retried with the same key; the retry finds the withdrawal cancelled by that key and
 * answers 200 with it instead of 409 WITHDRAWAL_NOT_CANCELLABLE, and the funds are still released once. NULL for
 * withdrawals not cancelled by a client (and for cancels sent without a key by an older gateway). Unique per client,
 * as keys are: one key cancels at most one withdrawal. Inherits utf8mb4_bin (0006): keys compare byte-exact.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('withdrawals', (t) => {
    t.string('cancel_idempotency_key', 64).nullable();
    t.unique(['client_id', 'cancel_idempotency_key'], { indexName: 'withdrawals_client_id_cancel_idempotency_key_unique' });
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropUnique(['client_id', 'cancel_idempotency_key'], 'withdrawals_client_id_cancel_idempotency_key_unique');
    t.dropColumn('cancel_idempotency_key');
  });
}
