import type { Knex } from '@wallet/db';
import { type DepositEventRow, EventType, appendEvents, depositEvent } from '@wallet/events';
import { newId } from '@wallet/ids';
import type { Logger } from '@wallet/logger';
import { AlertKind, raiseNodeAlert } from '@wallet/withdrawal-protocol';
import type {
  BlockRef,
  BlockSource,
  OutpointSet,
  SeenInputs,
  SeenOutgoing,
  SeenSpend,
  SeenTokenTransfer,
  SeenTransfer,
} from './blockSource.js';
import type { HotWallets, OutgoingMatch, SpendMatch } from './HotWallets.js';
import type { Owner, WatchedAddresses } from './WatchedAddresses.js';
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
  /** The chain's hot wallets: transactions they send are recorded for withdrawal settlement. */
  readonly hotWallets?: HotWallets;
};

type Fetched = {
  block: BlockRef;
  transfers: readonly SeenTransfer[];
  outgoing?: readonly SeenOutgoing[];
  inputs?: SeenInputs;
};

/** A transaction the wallet sent, seen in a block: a `withdrawal_observations` row. */
type Observed = {
  readonly txid: string;
  readonly from: string;
  readonly withdrawalId: string | null;
  readonly localhash: string | null;
  readonly status: 'success' | 'failed';
  readonly fee: bigint;
  readonly block: BlockRef;
  readonly tokenTransfers?: readonly SeenTokenTransfer[];
  /** Whether signsrv made it (a withdrawal's, or a consolidation): else the alarm. */
  readonly known: boolean;
  /** UTXO chains: the outpoints of ours it spent (`txid:vout`), for the alarm. */
  readonly spent?: readonly string[];
};

/** A window's block with its deposits' owners and its spends of our outputs (UTXO chains), matched in chain order. */
type Matched = Fetched & { owned: readonly { t: SeenTransfer; owner: Owner }[]; spends: readonly SeenSpend[] };

export type StepResult =
  /** `head`: the node's head as this scan saw it (only when it asked: windows of more than one block). */
  | { readonly kind: 'scanned'; readonly block: BlockRef; readonly blocks: number; readonly deposits: number; readonly head?: number }
  | { readonly kind: 'idle'; readonly head?: number }
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
 *
 * On chains whose transfers are outputs (UTXO: `source.tracksOutputs`), the scanner also keeps our UTXO set (table
 * `utxos`) in the same transactions: each deposit output is added, and an input naming one of our unspent outpoints
 * marks it spent by that block, whatever the spending transaction's id. Blocks are fetched concurrently but their
 * inputs are matched in chain order, each block's against our outputs as they stand after the blocks before it (and
 * its own outputs: a transaction may spend an output of an earlier one in the same block). Outputs to the wallet's
 * own addresses (change, consolidation: owner `wallet`) join the UTXO set and are never deposits. Every transaction
 * spending our outputs is an outgoing transaction of the wallet: a `withdrawal_observations` row (settlement finds
 * the withdrawals it pays through `withdrawal_txs`), or the `unknown_hot_wallet_tx` alarm when signsrv made neither a
 * withdrawal nor a consolidation with that txid. A reorg removes observations above the fork point like EVM ones.
 */
export class ChainScanner {
  readonly #o: ChainScannerOptions;
  readonly #keep: number;
  /** The checkpoint as last written or read (null: none yet; undefined: read it from MySQL). */
  #checkpoint: BlockRef | null | undefined;
  /** UTXO chains: our unspent outpoints, as in MySQL; undefined: load them. */
  #unspent: OutpointSet | undefined;

  constructor(options: ChainScannerOptions) {
    this.#o = options;
    this.#keep = options.keepBlocks ?? 1000;
  }

  /** The last scanned block (the checkpoint), if any. */
  async checkpoint(): Promise<BlockRef | undefined> {
    if (this.#checkpoint !== undefined) return this.#checkpoint ?? undefined;
    const row = await this.#o
      .db('chain_blocks')
      .where({ chain: this.#o.chain })
      .orderBy('number', 'desc')
      .first<{ number: string; hash: string; parent_hash: string } | undefined>('number', 'hash', 'parent_hash');
    this.#checkpoint = row ? { number: Number(row.number), hash: row.hash, parentHash: row.parent_hash } : null;
    return this.#checkpoint ?? undefined;
  }

  /** Scans the next block, or handles a reorg, or reports that the node has nothing new. */
  async step(): Promise<StepResult> {
    return this.scan(1);
  }

  /**
   * Scans up to `maxBlocks` next blocks: fetched `concurrency` at a time, checked to form one chain from
   * the checkpoint (a parent mismatch at the start is a reorg; one inside the window ends the window
   * there), and written in one fenced transaction. One refresh of the watched set serves the whole window:
   * every block in it was already on the node before the refresh, and an address must be stored before
   * anyone can be told to deposit to it.
   * @param maxBlocks @default 1
   * @param concurrency blocks fetched at once @default 8
   */
  async scan(maxBlocks = 1, concurrency = 8): Promise<StepResult> {
    try {
      return await this.#scan(maxBlocks, concurrency);
    } catch (error) {
      this.#checkpoint = undefined; // re-read from MySQL next time, whatever happened
      this.#unspent = undefined;
      throw error;
    }
  }

  async #scan(maxBlocks: number, concurrency: number): Promise<StepResult> {
    const { source, watched } = this.#o;
    const checkpoint = await this.checkpoint();
    const first = checkpoint ? checkpoint.number + 1 : (this.#o.startHeight ?? 0);
    const nodeHead = maxBlocks > 1 ? (await source.head()).number : undefined;
    const head = nodeHead ?? first;
    const last = Math.max(first, Math.min(head, first + maxBlocks - 1));
    await watched.refresh();
    const hot = this.#o.hotWallets;
    await hot?.refresh();
    const tracks = source.tracksOutputs === true;
    if (tracks) await this.#loadUnspent();

    const count = last - first + 1;
    const fetched: (Fetched | null)[] = new Array<null>(count).fill(null);
    // `concurrency` fetches in flight at all times (not in lockstep batches): the node is never idle while a block
    // is parsed here. A block past the head stops the others from asking further.
    let next = 0;
    let pastHead = false;
    const fetchNext = async (): Promise<void> => {
      while (!pastHead && next < count) {
        const i = next++;
        const n = first + i;
        const block = await (hot && hot.size > 0 ? source.scanBlock(n, watched.matcher, hot.has) : source.scanBlock(n, watched.matcher));
        fetched[i] = block;
        if (block === null) pastHead = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, fetchNext));
    const firstBlock = fetched[0];
    if (!firstBlock) {
      // Nothing new on top; but a reorg can replace our tip with a branch of the same height, which no
      // new block would reveal: check the checkpoint is still canonical. A node that lacks the height
      // (lagging, or a shorter branch) is not taken as a reorg: the parent check catches it once the
      // chain grows past us, and a lagging node does not make us orphan good deposits.
      const onNode = checkpoint ? await source.blockRef(checkpoint.number) : null;
      if (checkpoint && onNode && onNode.hash !== checkpoint.hash) return this.#rewind(checkpoint);
      return nodeHead === undefined ? { kind: 'idle' } : { kind: 'idle', head: nodeHead };
    }
    if (checkpoint && firstBlock.block.parentHash !== checkpoint.hash) return this.#rewind(checkpoint);
    // The linked prefix of the window: a reorg while it was being fetched ends it early.
    const window = [firstBlock];
    for (let i = 1; i < fetched.length; i++) {
      const b = fetched[i];
      const previous = window[window.length - 1]!;
      if (!b || b.block.parentHash !== previous.block.hash) break;
      window.push(b);
    }
    const deposits = await this.#write(this.#matchSpends(window));
    const tip = window[window.length - 1]!.block;
    this.#checkpoint = tip;
    return { kind: 'scanned', block: tip, blocks: window.length, deposits, ...(nodeHead === undefined ? {} : { head: nodeHead }) };
  }

  /**
   * Each block's deposits with their owners; on UTXO chains also its spends of our outputs, in chain order, our unspent set updated as it goes (the block's
   * own deposit outputs first). The in-memory set runs ahead of MySQL until the window is written; a failed write
   * drops it (reloaded from MySQL by the next scan).
   */
  #matchSpends(window: readonly Fetched[]): Matched[] {
    const unspent = this.#unspent;
    const watched = this.#o.watched;
    return window.map((b) => {
      const owned = b.transfers.flatMap((t) => {
        const owner = watched.owner(t.to);
        return owner ? [{ t, owner }] : [];
      });
      if (unspent === undefined) return { ...b, owned, spends: [] };
      for (const { t } of owned) unspent.add(t.txid, t.outputIndex);
      const spends = b.inputs?.spends(unspent) ?? [];
      for (const sp of spends) unspent.delete(sp.prevTxid, sp.prevVout);
      return { ...b, owned, spends };
    });
  }

  /**
   * Which native EVM transfers are gas top-ups of signsrv's sweeps (`sweeps.topup_txid`, stored before the top-up is
   * sent, so it is there by the time the transaction is mined).
   */
  async #sweepTopUps(transfers: readonly SeenTransfer[]): Promise<Set<string>> {
    const native = [...new Set(transfers.filter((t) => t.outputIndex === -1).map((t) => t.txid))];
    if (native.length === 0) return new Set();
    const found = await this.#o.db('sweeps').where({ chain: this.#o.chain }).whereIn('topup_txid', native).pluck<string[]>('topup_txid');
    return new Set(found);
  }

  /** Writes blocks and their deposits in one fenced transaction. @returns deposits recorded */
  async #write(window: readonly Matched[]): Promise<number> {
    const { db, chain, fence, log } = this.#o;
    const observed = await this.#observations(window);
    // The wallet's own outputs (change, consolidation) join the UTXO set but are never deposits: nothing is credited.
    const outputs = window.flatMap(({ block, owned }) => owned.map(({ t, owner }) => ({ t, owner, block })));
    const topUps = await this.#sweepTopUps(outputs.map(({ t }) => t));
    // Nor is the gas signsrv's sweep job sends a deposit address before sweeping its tokens: the wallet's own ETH.
    const rows = outputs.filter(({ owner, t }) => owner.wallet !== true && !topUps.has(t.txid));
    /** Deposits new or back to life in this window: logged once the window is written. */
    let seen: RecordedDeposit[] = [];
    await withFence(db, fence, async (trx) => {
      await trx('chain_blocks').insert(
        window.map(({ block }) => ({ chain, number: block.number, hash: block.hash, parent_hash: block.parentHash })),
      );
      if (rows.length > 0) {
        // What was recorded before: a deposit new or back to life is `deposit.seen` for its client.
        const keys = rows.map(({ t }) => [t.txid, t.outputIndex] as const);
        const before = new Map((await depositsAt(trx, chain, keys)).map((d) => [`${d.txid}:${d.output_index}`, d.status] as const));
        // A transaction re-included after a reorg comes back to life on its new block; anything else
        // already recorded is left as it is (rescans and replays are no-ops). One whose reversal is not posted yet
        // (`reversal_pending`: the owning transrv has not run it) records its new block and keeps its status: the
        // reversal then makes it pending again instead of reversed (ledger reverseOne), so it is credited once more on
        // the new branch. Without it, the sighting was lost and the deposit stayed reversed while on the chain.
        await trx.raw(
          `INSERT INTO deposits (id, chain, txid, output_index, asset, address, account_id, client_id, node_id, amount, block_number, block_hash, status)
           VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(65,0)), ?, ?, 'pending')").join(', ')}
           ON DUPLICATE KEY UPDATE
             block_number = IF(status IN ('orphaned', 'reversed', 'reversal_pending'), VALUES(block_number), block_number),
             block_hash = IF(status IN ('orphaned', 'reversed', 'reversal_pending'), VALUES(block_hash), block_hash),
             updated_at = IF(status IN ('orphaned', 'reversed', 'reversal_pending'), CURRENT_TIMESTAMP(3), updated_at),
             status = IF(status IN ('orphaned', 'reversed'), 'pending', status)`,
          rows.flatMap(({ t, owner, block }) => [
            newId('dep'),
            chain,
            t.txid,
            t.outputIndex,
            t.asset,
            t.to,
            owner.accountId,
            owner.clientId,
            owner.nodeId,
            t.amount.toString(),
            block.number,
            block.hash,
          ]),
        );
        seen = (await depositsAt(trx, chain, keys)).filter((d) => {
          const was = before.get(`${d.txid}:${d.output_index}`);
          return d.status === 'pending' && (was === undefined || was === 'orphaned' || was === 'reversed') && d.client_id !== null;
        });
        await appendEvents(
          trx,
          seen.map((d) => depositEvent(EventType.depositSeen, { ...d, client_id: d.client_id })),
        );
      }
      if (this.#unspent !== undefined) await this.#writeUtxos(trx, outputs, window);
      if (observed.length > 0) {
        // Re-included elsewhere after a reorg: the row follows the transaction to its new block.
        await trx.raw(
          `INSERT INTO withdrawal_observations
             (chain, txid, from_address, withdrawal_id, localhash, status, fee, block_number, block_hash, token_transfers)
           VALUES ${observed.map(() => '(?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(65,0)), ?, ?, ?)').join(', ')}
           ON DUPLICATE KEY UPDATE status = VALUES(status), fee = VALUES(fee), block_number = VALUES(block_number),
             block_hash = VALUES(block_hash), localhash = COALESCE(VALUES(localhash), localhash),
             token_transfers = VALUES(token_transfers), dropped = 0`,
          observed.flatMap((o) => [
            chain,
            o.txid,
            o.from,
            o.withdrawalId,
            o.localhash,
            o.status,
            o.fee.toString(),
            o.block.number,
            o.block.hash,
            o.tokenTransfers === undefined ? null : JSON.stringify(o.tokenTransfers.map((t) => ({ ...t, amount: t.amount.toString() }))),
          ]),
        );
        const unknown = observed.filter((o) => !o.known);
        if (unknown.length > 0) {
          // Money left a hot wallet (or, on a UTXO chain, the wallet's outputs were spent) without a withdrawal or a
          // consolidation behind it: the key was used outside signsrv.
          // In the fenced transaction: the alarm is written with the block that shows it, or not at all.
          for (const o of unknown) {
            await raiseNodeAlert(trx, log, AlertKind.unknownHotWalletTx, null, {
              chain,
              txid: o.txid,
              from: o.from,
              block: o.block.number,
              ...(o.spent === undefined ? {} : { spent: o.spent }),
            });
          }
        }
      }
      const tip = window[window.length - 1]!.block.number;
      if (tip >= this.#keep)
        await trx('chain_blocks')
          .where({ chain })
          .andWhere('number', '<', tip - this.#keep)
          .delete();
    });
    for (const d of seen) {
      log.info(
        { depositId: d.id, accountId: d.account_id, asset: d.asset, txid: d.txid, block: Number(d.block_number), blockHash: d.block_hash },
        'deposit seen',
      );
    }
    return rows.length;
  }

  /**
   * The window's outgoing transactions as observation rows, matched (one query per window, never per output): on EVM
   * chains those the source reports from a hot wallet; on UTXO chains every transaction spending one of our outputs
   * (one row per distinct spending txid), matched to the withdrawals it pays or to a consolidation. A UTXO transaction
   * has no single sender: its `from` is '' (its inputs are outputs of the wallet). It cannot fail once mined
   * (`success`), and its fee is what signsrv recorded for it (the members' shares summed; 0 when unknown: the chain
   * does not say without the spent outputs' amounts). Recorded only with `hotWallets` (the matcher).
   */
  async #observations(window: readonly Matched[]): Promise<Observed[]> {
    const hot = this.#o.hotWallets;
    if (!hot) return [];
    const outgoing = window.flatMap(({ block, outgoing: out }) => (out ?? []).map((o) => ({ o, block })));
    const spending = new Map<string, { block: BlockRef; spent: string[] }>();
    for (const { block, spends } of window) {
      for (const sp of spends) {
        const tx = spending.get(sp.txid) ?? { block, spent: [] };
        tx.spent.push(`${sp.prevTxid}:${sp.prevVout}`);
        spending.set(sp.txid, tx);
      }
    }
    const [matches, spendMatches] = await Promise.all([
      outgoing.length > 0 ? hot.match(outgoing.map(({ o }) => o.txid)) : new Map<string, OutgoingMatch>(),
      spending.size > 0 ? hot.matchSpends([...spending.keys()]) : new Map<string, SpendMatch>(),
    ]);
    const observed: Observed[] = outgoing.map(({ o, block }) => {
      const m = matches.get(o.txid);
      return {
        txid: o.txid,
        from: o.from,
        withdrawalId: m?.withdrawalId ?? null,
        localhash: m?.localhash ?? null,
        status: o.status,
        fee: o.fee,
        block,
        ...(o.tokenTransfers === undefined ? {} : { tokenTransfers: o.tokenTransfers }),
        known: (m?.withdrawalId ?? null) !== null || m?.treasury === true,
      };
    });
    for (const [txid, { block, spent }] of spending) {
      const m = spendMatches.get(txid);
      observed.push({
        txid,
        from: '',
        withdrawalId: m?.withdrawalId ?? null,
        localhash: m?.localhash ?? null,
        status: 'success',
        fee: m?.fee ?? 0n,
        block,
        known: (m?.withdrawalId ?? null) !== null || m?.consolidation === true,
        spent,
      });
    }
    return observed;
  }

  /** Our unspent outpoints on this chain, loaded from MySQL once (and again after a reorg or a failure). */
  async #loadUnspent(): Promise<OutpointSet> {
    if (this.#unspent !== undefined) return this.#unspent;
    const rows = await this.#o
      .db('utxos')
      .where({ chain: this.#o.chain })
      .whereNull('spent_by_txid')
      .select<{ txid: string; vout: number }[]>('txid', 'vout');
    const unspent = this.#o.source.createOutpointSet?.() ?? new KeyedOutpointSet();
    for (const r of rows) unspent.add(r.txid, r.vout);
    this.#unspent = unspent;
    return unspent;
  }

  /** UTXO chains: adds the window's outputs to us (deposits and the wallet's own) to the UTXO set and marks the outputs its inputs spend. */
  async #writeUtxos(
    trx: Knex.Transaction,
    rows: readonly { t: SeenTransfer; owner: Owner; block: BlockRef }[],
    window: readonly Matched[],
  ) {
    const { chain } = this.#o;
    if (rows.length > 0) {
      // A rescan from an earlier start height meets outputs already recorded: they are kept as they are.
      await trx.raw(
        `INSERT INTO utxos (chain, txid, vout, script, amount, block_number, block_hash, account_id)
         VALUES ${rows.map(() => '(?, ?, ?, ?, CAST(? AS DECIMAL(65,0)), ?, ?, ?)').join(', ')}
         ON DUPLICATE KEY UPDATE block_number = block_number`,
        rows.flatMap(({ t, owner, block }) => [
          chain,
          t.txid,
          t.outputIndex,
          t.script ?? '',
          t.amount.toString(),
          block.number,
          block.hash,
          owner.accountId,
        ]),
      );
      // An output a reorg dropped while a build held it (#rewind) gets its lock back, unless that build was abandoned.
      const txids = [...new Set(rows.map(({ t }) => t.txid))];
      const keys = `l.chain = ? AND l.txid IN (${txids.map(() => '?').join(', ')})`;
      await trx.raw(
        `UPDATE utxos u
         JOIN utxo_dropped_locks l ON l.chain = u.chain AND l.txid = u.txid AND l.vout = u.vout
         JOIN utxo_builds b ON b.id = l.locked_by AND b.status <> 'abandoned'
         SET u.locked_by = l.locked_by, u.locked_until = l.locked_until
         WHERE ${keys} AND u.locked_by IS NULL`,
        [chain, ...txids],
      );
      await trx.raw(
        `DELETE l FROM utxo_dropped_locks l JOIN utxos u ON u.chain = l.chain AND u.txid = l.txid AND u.vout = l.vout WHERE ${keys}`,
        [chain, ...txids],
      );
    }
    for (const { block, spends } of window) {
      for (const sp of spends) {
        await trx('utxos')
          .where({ chain, txid: sp.prevTxid, vout: sp.prevVout })
          .update({ spent_by_txid: sp.txid, spent_block_number: block.number, spent_block_hash: block.hash });
      }
    }
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
    let orphanedIds: string[] = [];
    let reversedIds: string[] = [];
    const result = await withFence(db, fence, async (trx) => {
      await trx('chain_blocks').where({ chain }).andWhere('number', '>', forkPoint).delete();
      const dropped = await trx<DepositEventRow & { client_id: string | null }>('deposits')
        .where({ chain, status: 'pending' })
        .andWhere('block_number', '>', forkPoint)
        .forUpdate();
      const orphaned = await trx('deposits')
        .where({ chain, status: 'pending' })
        .andWhere('block_number', '>', forkPoint)
        .update({ status: 'orphaned', updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await appendEvents(
        trx,
        dropped
          .filter((d) => d.client_id !== null)
          .map((d) => depositEvent(EventType.depositOrphaned, { ...d, client_id: d.client_id, status: 'orphaned' })),
      );
      reversedIds = (await trx('deposits')
        .where({ chain, status: 'credited' })
        .andWhere('block_number', '>', forkPoint)
        .forUpdate()
        .pluck('id')) as string[];
      orphanedIds = dropped.map((d) => d.id);
      const reversed = await trx('deposits')
        .where({ chain, status: 'credited' })
        .andWhere('block_number', '>', forkPoint)
        .update({ status: 'reversal_pending', updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      // Hot-wallet transactions in dropped blocks are back in the pool (or gone): seen again when re-mined.
      const [settled] = (await trx.raw(
        `SELECT o.txid, w.id, w.status FROM withdrawal_observations o
         JOIN withdrawal_txs t ON t.chain = o.chain AND t.txid = o.txid
         JOIN withdrawals w ON w.id = t.withdrawal_id
         WHERE o.chain = ? AND o.block_number > ? AND w.status IN ('confirmed', 'failed')`,
        [chain, forkPoint],
      )) as [{ txid: string; id: string; status: string }[]];
      if (settled.length > 0) {
        // Deeper than the withdrawal's confirmations: its outcome may change when re-mined (or it may never be).
        // The books keep what settlement recorded; an operator must look (there is no automatic re-opening).
        for (const w of settled) {
          await raiseNodeAlert(trx, log, AlertKind.settledWithdrawalReorged, w.id, { chain, txid: w.txid, status: w.status, forkPoint });
        }
      }
      // Settled ones are kept, marked dropped: signsrv re-sends their transaction until it is mined again (the nonce
      // must not stay a gap). Those of withdrawals still in flight go: settlement waits until they are seen again.
      if (settled.length > 0) {
        await trx('withdrawal_observations')
          .where({ chain })
          .whereIn(
            'txid',
            settled.map((w) => w.txid),
          )
          .update({ dropped: true });
      }
      await trx('withdrawal_observations').where({ chain, dropped: false }).andWhere('block_number', '>', forkPoint).delete();
      if (source.tracksOutputs === true) {
        // Outputs of dropped blocks do not exist (a re-included one is added again); spends in them are undone. A
        // build's lock on such an output is kept aside, and put back when the output is recorded again (#writeUtxos):
        // the build's transaction still spends it, so no other build may choose it meanwhile.
        await trx.raw(
          `INSERT INTO utxo_dropped_locks (chain, txid, vout, locked_by, locked_until)
           SELECT chain, txid, vout, locked_by, locked_until FROM utxos
           WHERE chain = ? AND block_number > ? AND locked_by IS NOT NULL
           ON DUPLICATE KEY UPDATE locked_by = VALUES(locked_by), locked_until = VALUES(locked_until)`,
          [chain, forkPoint],
        );
        await trx('utxos').where({ chain }).andWhere('block_number', '>', forkPoint).delete();
        await trx('utxos')
          .where({ chain })
          .andWhere('spent_block_number', '>', forkPoint)
          .update({ spent_by_txid: null, spent_block_number: null, spent_block_hash: null });
      }
      return { orphaned, reversed };
    });
    this.#checkpoint = undefined;
    this.#unspent = undefined;
    // The deposits it touched by id (at most 50 of each), for following one deposit through the logs.
    log.warn(
      { from: tip.number, forkPoint, ...result, orphanedIds: orphanedIds.slice(0, 50), reversedIds: reversedIds.slice(0, 50) },
      'reorg: rewound to the fork point',
    );
    return { kind: 'reorg', forkPoint, ...result };
  }
}

/** The default outpoint set (sources without their own): `txid:vout` strings. */
class KeyedOutpointSet implements OutpointSet {
  readonly #keys = new Set<string>();
  get size(): number {
    return this.#keys.size;
  }
  add(txid: string, vout: number): void {
    this.#keys.add(`${txid}:${vout}`);
  }
  delete(txid: string, vout: number): boolean {
    return this.#keys.delete(`${txid}:${vout}`);
  }
  has(txid: string, vout: number): boolean {
    return this.#keys.has(`${txid}:${vout}`);
  }
}

type RecordedDeposit = DepositEventRow & { client_id: string | null; block_hash: string };

/** The deposits recorded for these outputs of `chain` (a range read of the unique key per output). */
async function depositsAt(
  trx: Knex.Transaction,
  chain: string,
  keys: readonly (readonly [txid: string, outputIndex: number])[],
): Promise<RecordedDeposit[]> {
  // By (chain, txid), a prefix of the unique key, then the outputs asked for.
  const txids = [...new Set(keys.map(([txid]) => txid))];
  const wanted = new Set(keys.map(([txid, index]) => `${txid}:${index}`));
  const rows = await trx<RecordedDeposit>('deposits').where({ chain }).whereIn('txid', txids).select('*');
  return rows.filter((d) => wanted.has(`${d.txid}:${d.output_index}`));
}
