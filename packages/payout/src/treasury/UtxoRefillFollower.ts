import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import { type Knex, withTransaction } from '@wallet/db';
import { newId } from '@wallet/ids';
import type { Logger } from '@wallet/logger';
import type { AuditFn } from '../review/Audit.js';
import { MoveKind, MoveStatus } from './moves.js';

export type UtxoRefillFollowerOptions = {
  readonly chain: ChainSpec;
  readonly registry: AssetRegistry;
  readonly db: Knex;
  readonly log: Logger;
  /** The wallet's main address (the chain's hot wallet) and its scriptPubKey (hex), where refills are sent. */
  readonly hotWallet: { readonly address: string; readonly script: string };
  /** The addresses a transaction's inputs spent from (UtxoAdapter.inputAddresses; the node keeps `-txindex`). */
  readonly inputAddresses: (txid: string) => Promise<string[] | null>;
  /** The chain's cold addresses (operated role `cold`, with the tiers' cold destinations). */
  readonly coldAddresses: () => Promise<readonly string[]>;
  readonly audit?: AuditFn;
};

/**
 * Recognises refills of a UTXO chain's hot wallet from cold: the scanner records every output paid to the wallet's
 * main address in `utxos`; an output there whose transaction signsrv did not make (no build, no withdrawal) and that
 * has the native asset's confirmations is looked up on the node, and when one of its inputs spent from a cold address
 * it is recorded as a `refill` move (`confirmed`, the outputs to the main address summed), once per transaction.
 * Payments into the main address from anyone else are logged, not refills (each is looked up once per process).
 */
export class UtxoRefillFollower {
  readonly #o: UtxoRefillFollowerOptions;
  readonly #confirmations: number;
  readonly #checked = new Set<string>();

  constructor(options: UtxoRefillFollowerOptions) {
    this.#o = options;
    this.#confirmations = options.registry.asset(options.chain.nativeAsset).confirmations;
  }

  /** @returns the refills recorded by this pass */
  async pass(): Promise<number> {
    const { db, chain, log } = this.#o;
    const cold = new Set((await this.#o.coldAddresses()).map((a) => a.toLowerCase()));
    if (cold.size === 0) return 0;
    const [rows] = (await db.raw(
      `SELECT u.txid, CAST(SUM(u.amount) AS CHAR) AS amount, MIN(u.block_number) AS block
       FROM utxos u
       WHERE u.chain = ? AND u.script = ?
         AND u.block_number <= (SELECT MAX(number) FROM chain_blocks WHERE chain = ?) - ? + 1
         AND NOT EXISTS (SELECT 1 FROM utxo_builds b WHERE b.chain = u.chain AND b.txid = u.txid)
         AND NOT EXISTS (SELECT 1 FROM withdrawal_txs w WHERE w.chain = u.chain AND w.txid = u.txid)
         AND NOT EXISTS (SELECT 1 FROM treasury_moves m WHERE m.chain = u.chain AND m.kind = 'refill' AND m.txid = u.txid)
       GROUP BY u.txid ORDER BY block LIMIT 50`,
      [chain.id, this.#o.hotWallet.script, chain.id, this.#confirmations],
    )) as [{ txid: string; amount: string; block: string | number }[]];
    let recorded = 0;
    for (const row of rows) {
      if (this.#checked.has(row.txid)) continue;
      const inputs = await this.#o.inputAddresses(row.txid);
      if (inputs === null) continue;
      this.#checked.add(row.txid);
      const from = inputs.find((a) => cold.has(a.toLowerCase()));
      if (from === undefined) {
        log.info({ txid: row.txid, amount: row.amount, inputs }, 'payment into the hot wallet, not from cold: not a refill');
        continue;
      }
      const id = newId('tm');
      const done = await withTransaction(db, async (trx) => {
        const [result] = (await trx.raw(
          `INSERT IGNORE INTO treasury_moves (id, kind, chain, asset, from_address, to_address, amount, data, status,
             required_approvals, requested_by, note, txid, block, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(65,0)), '0x', ?, 0, 'chain', 'refill from cold, recognised on chain', ?, ?, CURRENT_TIMESTAMP(3))`,
          [
            id,
            MoveKind.refill,
            chain.id,
            chain.nativeAsset,
            from,
            this.#o.hotWallet.address,
            row.amount,
            MoveStatus.confirmed,
            row.txid,
            Number(row.block),
          ],
        )) as [{ affectedRows: number }];
        if (result.affectedRows !== 1) return false;
        await this.#o.audit?.(trx, {
          actor: 'signsrv',
          action: 'treasury_refill_recognised',
          subject: id,
          details: { chain: chain.id, asset: chain.nativeAsset, from, amount: row.amount, txid: row.txid, block: Number(row.block) },
        });
        return true;
      });
      if (done) {
        recorded++;
        log.info({ from, amount: row.amount, txid: row.txid }, 'refill from cold recognised');
      }
    }
    return recorded;
  }
}
