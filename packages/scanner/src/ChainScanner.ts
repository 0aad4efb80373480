import type { Knex } from '@wallet/db';
import { newId } from '@wallet/ids';
import type { Logger } from '@wallet/logger';
import type { BlockRef, BlockSource } from './blockSource.js';
import type { WatchedAddresses } from './WatchedAddresses.js';
import { type Fence, withFence } from './withFence.js';

export type ChainScannerOptions = {
  readonly db: Knex;
  readonly chain: string;
  readonly source: BlockSource;
  readonly watched: WatchedAddresses;
  readonly fence: Fence;
  readonly log: Logger;
  /** Where a chain with no checkpoint starts (e.g. the head at first deployment). @default 0 */
  readonly startHeight?: number;
  /** How many recent blocks are kept for reorg walk-back; a deeper reorg stops the scanner. @default 1000 */
  readonly keepBlocks?: number;
};

export type StepResult =
  | { readonly kind: 'scanned'; readonly block: BlockRef; readonly deposits: number }
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'reorg';
      readonly forkPoint: number;
      readonly orphaned: number;
      readonly reversed: number;
    };

/**
 * Scans one chain block by block from its MySQL checkpoint, recording deposits to watched addresses.
 *
 * Each block is written in one fenced transaction (block row + its deposits), so a crash between blocks
 * loses nothing and a rescan changes nothing (deposits are unique on chain, txid, output index). When a
 * block's parent is not the stored previous block, the scanner walks back to the fork point and, in one
 * transaction, forgets the dropped blocks, marks their pending deposits `orphaned` and their credited ones
 * `reversal_pending` (the owning transrv posts the reversing entry: never a silent delete); the new branch
 * is then scanned like any other blocks.
 */
export class ChainScanner {
  readonly #o: ChainScannerOptions;
  readonly #keep: number;

  constructor(options: ChainScannerOptions) {
    this.#o = options;
    this.#keep = options.keepBlocks ?? 1000;
  }

  /** The last scanned block (the checkpoint), if any. */
  async checkpoint(): Promise<BlockRef | undefined> {
    const row = await this.#o
      .db('chain_blocks')
      .where({ chain: this.#o.chain })
      .orderBy('number', 'desc')
      .first<{ number: string; hash: string; parent_hash: string } | undefined>('number', 'hash', 'parent_hash');
    return row ? { number: Number(row.number), hash: row.hash, parentHash: row.parent_hash } : undefined;
  }

  /** Scans the next block, or handles a reorg, or reports that the node has nothing new. */
  async step(): Promise<StepResult> {
    const { db, chain, source, watched, fence } = this.#o;
    const checkpoint = await this.checkpoint();
    const number = checkpoint ? checkpoint.number + 1 : (this.#o.startHeight ?? 0);
    await watched.refresh();
    const scanned = await source.scanBlock(number, watched.has);
    if (!scanned) {
      // Nothing new on top; but a reorg can replace our tip with a branch of the same height, which no
      // new block would reveal: check the checkpoint is still canonical. A node that lacks the height
      // (lagging, or a shorter branch) is not taken as a reorg: the parent check catches it once the
      // chain grows past us, and a lagging node does not make us orphan good deposits.
      const onNode = checkpoint ? await source.blockRef(checkpoint.number) : null;
      if (checkpoint && onNode && onNode.hash !== checkpoint.hash) return this.#rewind(checkpoint);
      return { kind: 'idle' };
    }
    if (checkpoint && scanned.block.parentHash !== checkpoint.hash) return this.#rewind(checkpoint);

    const deposits = scanned.transfers.flatMap((t) => {
      const owner = watched.owner(t.to);
      return owner ? [{ ...t, ...owner }] : [];
    });
    await withFence(db, fence, async (trx) => {
      await trx('chain_blocks').insert({ chain, number, hash: scanned.block.hash, parent_hash: scanned.block.parentHash });
      for (const d of deposits) {
        // A transaction re-included after a reorg comes back to life on its new block; anything else
        // already recorded is left as it is (rescans and replays are no-ops).
        await trx.raw(
          `INSERT INTO deposits (id, chain, txid, output_index, asset, address, account_id, node_id, amount, block_number, block_hash, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(65,0)), ?, ?, 'pending')
           ON DUPLICATE KEY UPDATE
             block_number = IF(status IN ('orphaned', 'reversed'), VALUES(block_number), block_number),
             block_hash = IF(status IN ('orphaned', 'reversed'), VALUES(block_hash), block_hash),
             updated_at = IF(status IN ('orphaned', 'reversed'), CURRENT_TIMESTAMP(3), updated_at),
             status = IF(status IN ('orphaned', 'reversed'), 'pending', status)`,
          [
            newId('dep'),
            chain,
            d.txid,
            d.outputIndex,
            d.asset,
            d.to,
            d.accountId,
            d.nodeId,
            d.amount.toString(),
            number,
            scanned.block.hash,
          ],
        );
      }
      if (number >= this.#keep)
        await trx('chain_blocks')
          .where({ chain })
          .andWhere('number', '<', number - this.#keep)
          .delete();
    });
    return { kind: 'scanned', block: scanned.block, deposits: deposits.length };
  }

  /** Walks back from `tip` to the newest stored block the node still has, and undoes what lies above it. */
  async #rewind(tip: BlockRef): Promise<StepResult> {
    const { db, chain, source, fence, log } = this.#o;
    let forkPoint = -1;
    const stored = await db('chain_blocks')
      .where({ chain })
      .andWhere('number', '<=', tip.number)
      .orderBy('number', 'desc')
      .select<{ number: string; hash: string }[]>('number', 'hash');
    for (const row of stored) {
      const onNode = await source.blockRef(Number(row.number));
      if (onNode && onNode.hash === row.hash) {
        forkPoint = Number(row.number);
        break;
      }
    }
    if (forkPoint < 0 && stored.length >= this.#keep) {
      throw new Error(`${chain}: reorg deeper than the ${this.#keep} kept blocks; refusing to guess (operator action needed)`);
    }
    const result = await withFence(db, fence, async (trx) => {
      await trx('chain_blocks').where({ chain }).andWhere('number', '>', forkPoint).delete();
      const orphaned = await trx('deposits')
        .where({ chain, status: 'pending' })
        .andWhere('block_number', '>', forkPoint)
        .update({ status: 'orphaned', updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      const reversed = await trx('deposits')
        .where({ chain, status: 'credited' })
        .andWhere('block_number', '>', forkPoint)
        .update({ status: 'reversal_pending', updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      return { orphaned, reversed };
    });
    log.warn({ chain, from: tip.number, forkPoint, ...result }, 'reorg: rewound to the fork point');
    return { kind: 'reorg', forkPoint, ...result };
  }
}
