import type { AssetRegistry } from '@wallet/assets';
import { type Knex, withTransaction } from '@wallet/db';
import { LedgerKind, SystemAccount, postEntry } from '@wallet/ledger';
import type { Logger } from '@wallet/logger';

/**
 * Books the network fee of each consolidation signsrv has marked confirmed, in transrv's ledger (signsrv owns the
 * build, transrv the journal): `sys:fees:<native>` pays `sys:chain:<chain>:network_fees`, entry `<build>:fee`. Any
 * transrv may run it: each booking locks the build's row (a locking read: transrv only reads signsrv's table) and
 * looks for the entry under that lock, so two nodes book it once between them.
 * @returns the builds booked by this call
 */
export async function bookConsolidationFees(db: Knex, nodeId: string, registry: AssetRegistry, log: Logger): Promise<string[]> {
  const [rows] = (await db.raw(
    `SELECT b.id, b.chain, CAST(b.fee AS CHAR) AS fee FROM utxo_builds b
      WHERE b.kind = 'consolidation' AND b.status = 'confirmed' AND b.fee > 0
        AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.entry_id = CONCAT(b.id, ':fee'))
      ORDER BY b.id LIMIT 50`,
  )) as [{ id: string; chain: string; fee: string }[]];
  const booked: string[] = [];
  for (const row of rows) {
    const chain = registry.chains.get(row.chain);
    if (!chain) continue;
    const entryId = `${row.id}:fee`;
    const done = await withTransaction(db, async (trx) => {
      await trx.raw('SELECT id FROM utxo_builds WHERE id = ? FOR UPDATE', [row.id]);
      const [existing] = (await trx.raw('SELECT 1 FROM journal WHERE entry_id = ? LIMIT 1 LOCK IN SHARE MODE', [entryId])) as [unknown[]];
      if (existing.length > 0) return false;
      const fee = BigInt(row.fee);
      const native = chain.nativeAsset;
      await postEntry(trx, {
        entryId,
        nodeId,
        refId: row.id,
        lines: [
          { accountId: SystemAccount.feeIncome(native), asset: native, bucket: 'available', amount: -fee, kind: LedgerKind.networkFee },
          { accountId: SystemAccount.networkFees(chain.id), asset: native, bucket: 'available', amount: fee, kind: LedgerKind.networkFee },
        ],
      });
      return true;
    });
    if (done) {
      booked.push(row.id);
      log.info({ chain: row.chain, buildId: row.id, fee: row.fee }, 'consolidation fee booked');
    }
  }
  return booked;
}
