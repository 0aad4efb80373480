import type { AssetRegistry } from '@wallet/assets';
import { type Knex, withTransaction } from '@wallet/db';
import { LedgerKind, SystemAccount, postEntry } from '@wallet/ledger';
import type { Logger } from '@wallet/logger';

/**
 * Where signsrv records the network fees of what it sends for the wallet itself (no user pays them): its table, and
 * the query of its finished rows whose fee is not booked yet (`id`, `chain`, `fee` in the native asset).
 */
type FeeSource = { readonly table: 'utxo_builds' | 'sweeps' | 'treasury_moves'; readonly what: string; readonly unbooked: string };

const consolidations: FeeSource = {
  table: 'utxo_builds',
  what: 'consolidation',
  unbooked: `SELECT b.id, b.chain, CAST(b.fee AS CHAR) AS fee FROM utxo_builds b
      WHERE b.kind IN ('consolidation', 'cold_transfer') AND b.status = 'confirmed' AND b.fee > 0
        AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.entry_id = CONCAT(b.id, ':fee'))
      ORDER BY b.id LIMIT 50`,
};

const sweeps: FeeSource = {
  table: 'sweeps',
  what: 'sweep',
  // A sweep's fees: its gas top-up's and its own (both native), confirmed or failed (a reverted sweep burnt gas too).
  unbooked: `SELECT s.id, s.chain, CAST(COALESCE(s.topup_fee, 0) + COALESCE(s.sweep_fee, 0) AS CHAR) AS fee FROM sweeps s
      WHERE s.status IN ('confirmed', 'failed') AND COALESCE(s.topup_fee, 0) + COALESCE(s.sweep_fee, 0) > 0
        AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.entry_id = CONCAT(s.id, ':fee'))
      ORDER BY s.id LIMIT 50`,
};

const treasuryMoves: FeeSource = {
  table: 'treasury_moves',
  what: 'treasuryMove',
  // The gas of a cold transfer or contract call signsrv sent from the hot wallet, mined (confirmed, or reverted). A UTXO
  // cold transfer's fee is its build's, booked with the consolidations' (`build_id` set): not twice.
  unbooked: `SELECT m.id, m.chain, CAST(m.fee AS CHAR) AS fee FROM treasury_moves m
      WHERE m.kind IN ('cold_transfer', 'contract_call') AND m.status IN ('confirmed', 'failed') AND m.fee > 0
        AND m.build_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM journal j WHERE j.entry_id = CONCAT(m.id, ':fee'))
      ORDER BY m.id LIMIT 50`,
};

/**
 * Books the network fee of each consolidation signsrv has marked confirmed, in transrv's ledger (signsrv owns the
 * build, transrv the journal): `sys:fees:<native>` pays `sys:chain:<chain>:network_fees`, entry `<build>:fee`. Any
 * transrv may run it: each booking locks the build's row (a locking read: transrv only reads signsrv's table) and
 * looks for the entry under that lock, so two nodes book it once between them.
 * @returns the builds booked by this call
 */
export function bookConsolidationFees(db: Knex, nodeId: string, registry: AssetRegistry, log: Logger): Promise<string[]> {
  return bookFees(db, nodeId, registry, log, consolidations);
}

/**
 * {@link bookConsolidationFees} for signsrv's finished EVM sweeps (`sweeps`, confirmed or failed): the gas of the
 * top-up and of the sweep, entry `<sweep>:fee`. The exchange pays them; no user's balance changes.
 * @returns the sweeps booked by this call
 */
export function bookSweepFees(db: Knex, nodeId: string, registry: AssetRegistry, log: Logger): Promise<string[]> {
  return bookFees(db, nodeId, registry, log, sweeps);
}

/**
 * {@link bookConsolidationFees} for signsrv's treasury moves sent from the hot wallet (cold transfers, contract calls),
 * entry `<move>:fee`: the exchange pays their gas.
 * @returns the moves booked by this call
 */
export function bookTreasuryMoveFees(db: Knex, nodeId: string, registry: AssetRegistry, log: Logger): Promise<string[]> {
  return bookFees(db, nodeId, registry, log, treasuryMoves);
}

async function bookFees(db: Knex, nodeId: string, registry: AssetRegistry, log: Logger, source: FeeSource): Promise<string[]> {
  const [rows] = (await db.raw(source.unbooked)) as [{ id: string; chain: string; fee: string }[]];
  const booked: string[] = [];
  for (const row of rows) {
    const chain = registry.chains.get(row.chain);
    if (!chain) continue;
    const entryId = `${row.id}:fee`;
    const done = await withTransaction(db, async (trx) => {
      await trx.raw('SELECT id FROM ?? WHERE id = ? FOR UPDATE', [source.table, row.id]);
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
      log.info({ chain: row.chain, [`${source.what}Id`]: row.id, fee: row.fee }, `${source.what} fee booked`);
    }
  }
  return booked;
}
