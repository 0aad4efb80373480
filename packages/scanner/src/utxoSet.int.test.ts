import { createHash } from 'node:crypto';
import { type Db, createTestDatabase } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AddressIndex,
  type BlockRef,
  type BlockSource,
  ChainScanner,
  type OutpointSet,
  type SeenSpend,
  type SeenTransfer,
  WatchedAddresses,
} from './index.js';

type Block = { ref: BlockRef; transfers: SeenTransfer[]; spends: SeenSpend[] };

/** A UTXO chain the test scripts block by block (the adapter's own tests run on litecoind): outputs and spends. */
class ScriptedUtxoChain implements BlockSource {
  readonly tracksOutputs = true;
  blocks: Block[] = [];
  #salt = 0;

  constructor() {
    this.mine([], []);
  }

  mine(transfers: SeenTransfer[], spends: SeenSpend[]): BlockRef {
    const number = this.blocks.length;
    const parentHash = number === 0 ? '00' : this.blocks[number - 1]!.ref.hash;
    const hash = createHash('sha256')
      .update(`${parentHash}|${number}|${this.#salt}|${spends.map((s) => s.txid).join()}`)
      .digest('hex');
    const ref = { number, hash, parentHash };
    this.blocks.push({ ref, transfers, spends });
    return ref;
  }

  reorg(keep: number): void {
    this.blocks = this.blocks.slice(0, keep + 1);
    this.#salt++;
  }

  async head(): Promise<BlockRef> {
    return this.blocks[this.blocks.length - 1]!.ref;
  }
  async blockRef(n: number): Promise<BlockRef | null> {
    return this.blocks[n]?.ref ?? null;
  }
  async scanBlock(n: number, isWatched: ((a: string) => boolean) | AddressIndex) {
    const b = this.blocks[n];
    if (!b) return null;
    const watched = typeof isWatched === 'function' ? isWatched : (a: string) => isWatched.get(a) !== undefined;
    return {
      block: b.ref,
      transfers: b.transfers.filter((t) => watched(t.to)),
      inputs: { spends: (ours: OutpointSet) => b.spends.filter((s) => ours.has(s.prevTxid, s.prevVout)) },
    };
  }
}

let db: Db;
let drop: () => Promise<void>;
const log = createLogger('test', { level: 'silent' });

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('clients').insert({ id: 'c1', name: 'c', key_id: 'k1', secret: 's' });
  await db('accounts').insert({ id: 'acc', client_id: 'c1', external_id: 'acc', node_id: 't1' });
  await db('addresses').insert({ chain: 'ltc', address: 'rltc1qours', derivation_index: 0, path: 'm', account_id: 'acc', client_id: 'c1' });
});
afterAll(async () => drop());

const out = (txid: string, vout: number, amount: bigint): SeenTransfer => ({
  asset: 'LTC',
  txid,
  outputIndex: vout,
  to: 'rltc1qours',
  amount,
  script: '0014'.padEnd(44, 'ab'),
});
const set = () =>
  db('utxos')
    .where({ chain: 'ltc' })
    .orderBy(['txid', 'vout'])
    .select<{ txid: string; vout: number; amount: string; spent_by_txid: string | null; spent_block_number: string | null }[]>(
      'txid',
      'vout',
      'amount',
      'spent_by_txid',
      'spent_block_number',
    );

describe('ChainScanner keeps the UTXO set of a UTXO chain', () => {
  it('adds deposit outputs, marks a spend by outpoint even in the same catch-up window, and undoes both on a reorg', async () => {
    const chain = new ScriptedUtxoChain();
    const scanner = new ChainScanner({
      db,
      chain: 'ltc',
      source: chain,
      watched: new WatchedAddresses(db, 'ltc', (a) => a),
      fence: { chain: 'ltc', token: 1n, holder: 's1' },
      log,
      startHeight: 1,
    });
    // block 1: two outputs to us in one tx; block 2: one of them spent (and an output not ours); caught up in one scan
    chain.mine([out('aa', 0, 500n), out('aa', 1, 700n)], []);
    chain.mine(
      [],
      [
        { txid: 'sp', prevTxid: 'aa', prevVout: 0 },
        { txid: 'sp', prevTxid: 'ff', prevVout: 0 },
      ],
    );
    chain.mine([], []);
    // block 4: an output to us spent by a later transaction of the same block
    chain.mine([out('bb', 0, 900n)], [{ txid: 'sp2', prevTxid: 'bb', prevVout: 0 }]);
    // One window: blocks fetched together, their spends still matched against the outputs of the blocks before them.
    expect(await scanner.scan(64)).toMatchObject({ kind: 'scanned', blocks: 4 });
    expect(await set()).toEqual([
      { txid: 'aa', vout: 0, amount: '500', spent_by_txid: 'sp', spent_block_number: '2' },
      { txid: 'aa', vout: 1, amount: '700', spent_by_txid: null, spent_block_number: null },
      { txid: 'bb', vout: 0, amount: '900', spent_by_txid: 'sp2', spent_block_number: '4' },
    ]);

    // The spend's block is replaced: the output is unspent again; then the creating block goes: the outputs go.
    chain.reorg(1);
    chain.mine([], []);
    chain.mine([], []);
    chain.mine([], []); // past the stored tip (4): a shorter branch is not taken for a reorg
    for (let i = 0; i < 10; i++) if ((await scanner.scan(64)).kind === 'idle') break;
    expect((await set()).map((u) => u.spent_by_txid)).toEqual([null, null]);
    chain.reorg(0);
    for (let i = 0; i < 5; i++) chain.mine([], []);
    for (let i = 0; i < 10; i++) if ((await scanner.scan(64)).kind === 'idle') break;
    expect(await set()).toEqual([]);
    // The deposits of the dropped outputs are orphaned, as on any chain.
    expect(await db('deposits').where({ chain: 'ltc' }).pluck('status')).toEqual(['orphaned', 'orphaned', 'orphaned']);
  });
});
