import type { AssetRegistry } from '@wallet/assets';
import { type Knex, type NodeDbs, nodeDbs, withTransaction } from '@wallet/db';
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
        AND NOT EXISTS (SELECT 1 FROM fee_bookings f WHERE f.entry_id = CONCAT(b.id, ':fee'))
      ORDER BY b.id LIMIT 50`,
};

const sweeps: FeeSource = {
  table: 'sweeps',
  what: 'sweep',
  // A sweep's fees: its gas top-up's and its own (both native), confirmed or failed (a reverted sweep burnt gas too).
  unbooked: `SELECT s.id, s.chain, CAST(COALESCE(s.topup_fee, 0) + COALESCE(s.sweep_fee, 0) AS CHAR) AS fee FROM sweeps s
      WHERE s.status IN ('confirmed', 'failed') AND COALESCE(s.topup_fee, 0) + COALESCE(s.sweep_fee, 0) > 0
        AND NOT EXISTS (SELECT 1 FROM fee_bookings f WHERE f.entry_id = CONCAT(s.id, ':fee'))
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
        AND NOT EXISTS (SELECT 1 FROM fee_bookings f WHERE f.entry_id = CONCAT(m.id, ':fee'))
      ORDER BY m.id LIMIT 50`,
};

/** Test hook: a crash after the shard's commit, before the booking is recorded in the global database. */
export type FeeBookingCrashPoint = (point: 'transrv.fee.after_book') => void;

/**
 * Books the network fee of each consolidation signsrv has marked confirmed, in transrv's ledger (signsrv owns the
 * build, transrv the journal): `sys:fees:<native>` pays `sys:chain:<chain>:network_fees`, entry `<build>:fee`. Any
 * transrv may run it; each fee is booked by one node, in its own journal, in three steps that need no transaction
 * across the global database and the node's shard (docs/sharding.md):
 *
 * 1. claim (global): `fee_bookings`' primary key, the entry id, gives each fee to the first node that asks;
 * 2. book (shard): the entry, unless the node's journal has it already (a locking read of the entry id: two processes
 *    of one node meet on it, and the one that loses runs again and finds the entry);
 * 3. record (global): `booked_at`, so the claim is not looked at again.
 *
 * A crash after step 1 or 2 is finished by the node's next pass: its claims not recorded as booked are booked, once,
 * by step 2's check.
 * @returns the builds booked by this call
 */
export function bookConsolidationFees(
  db: Knex | NodeDbs,
  nodeId: string,
  registry: AssetRegistry,
  log: Logger,
  crashPoint?: FeeBookingCrashPoint,
): Promise<string[]> {
  return bookFees(nodeDbs(db), nodeId, registry, log, consolidations, crashPoint);
}

/**
 * {@link bookConsolidationFees} for signsrv's finished EVM sweeps (`sweeps`, confirmed or failed): the gas of the
 * top-up and of the sweep, entry `<sweep>:fee`. The exchange pays them; no user's balance changes.
 * @returns the sweeps booked by this call
 */
export function bookSweepFees(db: Knex | NodeDbs, nodeId: string, registry: AssetRegistry, log: Logger): Promise<string[]> {
  return bookFees(nodeDbs(db), nodeId, registry, log, sweeps);
}

/**
 * {@link bookConsolidationFees} for signsrv's treasury moves sent from the hot wallet (cold transfers, contract calls),
 * entry `<move>:fee`: the exchange pays their gas.
 * @returns the moves booked by this call
 */
export function bookTreasuryMoveFees(db: Knex | NodeDbs, nodeId: string, registry: AssetRegistry, log: Logger): Promise<string[]> {
  return bookFees(nodeDbs(db), nodeId, registry, log, treasuryMoves);
}

type Claim = { entry_id: string; source_id: string; chain: string; fee: string };

async function bookFees(
  { global, shard }: NodeDbs,
  nodeId: string,
  registry: AssetRegistry,
  log: Logger,
  source: FeeSource,
  crashPoint?: FeeBookingCrashPoint,
): Promise<string[]> {
  // 1. Claim what no node has claimed yet.
  const [rows] = (await global.raw(source.unbooked)) as [{ id: string; chain: string; fee: string }[]];
  const known = rows.filter((row) => registry.chains.has(row.chain));
  if (known.length > 0) {
    await global.raw(
      `INSERT IGNORE INTO fee_bookings (entry_id, source, source_id, chain, fee, node_id)
       VALUES ${known.map(() => '(?, ?, ?, ?, CAST(? AS DECIMAL(65,0)), ?)').join(', ')}`,
      known.flatMap((row) => [`${row.id}:fee`, source.table, row.id, row.chain, row.fee, nodeId]),
    );
  }
  // 2. and 3. Book this node's claims not recorded as booked (this pass's, and any a crash left).
  const claims = await global('fee_bookings')
    .where({ node_id: nodeId, source: source.table })
    .whereNull('booked_at')
    .orderBy('entry_id')
    .limit(50)
    .select<Claim[]>('entry_id', 'source_id', 'chain', global.raw('CAST(fee AS CHAR) AS fee'));
  const booked: string[] = [];
  for (const claim of claims) {
    const chain = registry.chains.get(claim.chain);
    if (!chain) continue;
    const posted = await withTransaction(shard, async (trx) => {
      const [existing] = (await trx.raw('SELECT 1 FROM journal WHERE entry_id = ? LIMIT 1 FOR UPDATE', [claim.entry_id])) as [unknown[]];
      if (existing.length > 0) return false;
      const fee = BigInt(claim.fee);
      const native = chain.nativeAsset;
      await postEntry(trx, {
        entryId: claim.entry_id,
        nodeId,
        refId: claim.source_id,
        lines: [
          { accountId: SystemAccount.feeIncome(native), asset: native, bucket: 'available', amount: -fee, kind: LedgerKind.networkFee },
          { accountId: SystemAccount.networkFees(chain.id), asset: native, bucket: 'available', amount: fee, kind: LedgerKind.networkFee },
        ],
      });
      return true;
    });
    if (posted) crashPoint?.('transrv.fee.after_book');
    await global('fee_bookings')
      .where({ entry_id: claim.entry_id, node_id: nodeId })
      .update({ booked_at: global.raw('CURRENT_TIMESTAMP(3)') });
    if (posted) {
      booked.push(claim.source_id);
      log.info(
        { chain: claim.chain, [`${source.what}Id`]: claim.source_id, fee: claim.fee, entryId: claim.entry_id },
        `${source.what} fee booked`,
      );
    }
  }
  return booked;
}
