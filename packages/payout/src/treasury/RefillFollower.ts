import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import type { EvmAdapter } from '@wallet/chains';
import { type Knex, withTransaction } from '@wallet/db';
import { newId } from '@wallet/ids';
import type { Logger } from '@wallet/logger';
import type { AuditFn } from '../review/Audit.js';
import { MoveKind, MoveStatus } from './moves.js';

export type RefillFollowerOptions = {
  readonly chain: ChainSpec;
  readonly adapter: EvmAdapter;
  readonly registry: AssetRegistry;
  readonly db: Knex;
  readonly log: Logger;
  readonly hotWallet: string;
  /** The cold addresses of the chain (operated role `cold`, and the tiers' cold addresses). */
  readonly coldAddresses: () => Promise<readonly string[]>;
  readonly audit?: AuditFn;
  /** Blocks read per pass at most. @default 50 */
  readonly maxBlocks?: number;
};

/**
 * Recognises refills of an EVM chain's hot wallet from cold: follows the chain's blocks once they have the native
 * asset's confirmations (from `treasury_cursors`, so a restart goes on where it stopped) and records each transfer
 * into the hot wallet whose sender is a cold address (ETH, or a configured token's Transfer log) as a `refill` move,
 * `confirmed`, once per (transaction, asset), in the same MySQL transaction as the cursor's move past its block.
 * Transfers into the hot wallet from anyone else are not refills (logged). The first pass starts at the confirmed
 * head: refills before signsrv first ran are not looked for.
 */
export class RefillFollower {
  readonly #o: RefillFollowerOptions;
  readonly #confirmations: number;
  readonly #hot: string;

  constructor(options: RefillFollowerOptions) {
    this.#o = options;
    this.#confirmations = options.registry.asset(options.chain.nativeAsset).confirmations;
    this.#hot = options.adapter.canonicalAddress(options.hotWallet);
  }

  /**
   * Reads the confirmed blocks after the cursor (at most `maxBlocks`).
   * @returns the refills recorded by this pass
   */
  async pass(): Promise<number> {
    const { db, adapter, chain, log } = this.#o;
    const head = await adapter.head();
    const confirmedHead = head.number - this.#confirmations + 1;
    if (confirmedHead < 0) return 0;
    await db.raw('INSERT IGNORE INTO treasury_cursors (chain, next_block) VALUES (?, ?)', [chain.id, confirmedHead]);
    const cursor = await db('treasury_cursors').where({ chain: chain.id }).first<{ next_block: string | number }>('next_block');
    let next = Number(cursor.next_block);
    const last = Math.min(confirmedHead, next + (this.#o.maxBlocks ?? 50) - 1);
    if (next > last) return 0;
    const cold = new Set((await this.#o.coldAddresses()).map((a) => a.toLowerCase()));
    let recorded = 0;
    for (; next <= last; next++) {
      const block = await adapter.scanBlock(next, (address: string) => address === this.#hot);
      if (block === null) break;
      // Summed per (txid, asset): one refill row each.
      const refills = new Map<string, { txid: string; asset: string; from: string; amount: bigint }>();
      for (const t of block.transfers) {
        const from = t.from?.toLowerCase() ?? '';
        if (!cold.has(from)) {
          log.info(
            { txid: t.txid, asset: t.asset, from: t.from, amount: t.amount.toString() },
            'transfer into the hot wallet, not from cold: not a refill',
          );
          continue;
        }
        const key = `${t.txid}:${t.asset}`;
        const seen = refills.get(key);
        refills.set(key, { txid: t.txid, asset: t.asset, from: t.from!, amount: (seen?.amount ?? 0n) + t.amount });
      }
      const height = next;
      recorded += await withTransaction(db, async (trx) => {
        let n = 0;
        for (const r of refills.values()) {
          const id = newId('tm');
          const [result] = (await trx.raw(
            `INSERT IGNORE INTO treasury_moves (id, kind, chain, asset, from_address, to_address, amount, data, status,
               required_approvals, requested_by, note, txid, block, finished_at)
             VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(65,0)), '0x', ?, 0, 'chain', 'refill from cold, recognised on chain', ?, ?, CURRENT_TIMESTAMP(3))`,
            [id, MoveKind.refill, chain.id, r.asset, r.from, this.#o.hotWallet, r.amount.toString(), MoveStatus.confirmed, r.txid, height],
          )) as [{ affectedRows: number }];
          if (result.affectedRows === 1) {
            n++;
            await this.#o.audit?.(trx, {
              actor: 'signsrv',
              action: 'treasury_refill_recognised',
              subject: id,
              details: { chain: chain.id, asset: r.asset, from: r.from, amount: r.amount.toString(), txid: r.txid, block: height },
            });
            log.info({ asset: r.asset, from: r.from, amount: r.amount.toString(), txid: r.txid }, 'refill from cold recognised');
          }
        }
        await trx('treasury_cursors')
          .where({ chain: chain.id })
          .update({ next_block: height + 1 });
        return n;
      });
    }
    return recorded;
  }
}
