import { createHash } from 'node:crypto';
import { type Db } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AddressIndex,
  type BlockRef,
  type BlockSource,
  ChainScanner,
  HotWallets,
  type OutpointSet,
  type SeenSpend,
  type SeenTransfer,
  WatchedAddresses,
  walletOwnerId,
} from './index.js';
import { createTestDatabase } from '@wallet/testkit';

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

describe('ChainScanner and the wallet’s own outputs and spends on a UTXO chain', () => {
  const name = 'lw';
  const change = 'rltc1qchange';
  const walletOut = (txid: string, vout: number, amount: bigint): SeenTransfer => ({ ...out(txid, vout, amount), to: change });
  const depositOut = (txid: string, vout: number, amount: bigint): SeenTransfer => ({ ...out(txid, vout, amount), to: 'rltc1qdeposit' });
  const ctx = new Map<string, string>();

  beforeAll(async () => {
    await db('addresses').insert({
      chain: name,
      address: 'rltc1qdeposit',
      derivation_index: 0,
      path: 'm',
      account_id: 'acc',
      client_id: 'c1',
    });
  });

  /** A withdrawal_txs row as signsrv stores a member of a UTXO transaction. */
  const member = (txid: string, withdrawalId: string, vout: number, networkFee: bigint) =>
    db('withdrawal_txs').insert({
      chain: name,
      txid,
      withdrawal_id: withdrawalId,
      attempt: 0,
      from_address: '',
      raw: '00',
      vout,
      network_fee: networkFee.toString(),
    });
  const observations = () =>
    db('withdrawal_observations').where({ chain: name }).orderBy('txid').select<
      {
        txid: string;
        from_address: string;
        withdrawal_id: string | null;
        localhash: string | null;
        status: string;
        fee: string;
        block_number: string;
      }[]
    >('txid', 'from_address', 'withdrawal_id', 'localhash', 'status', 'fee', 'block_number');
  const alerts = async () =>
    (await db('node_alerts').where({ kind: 'unknown_hot_wallet_tx' }).pluck<string[]>('details'))
      .map((d) => JSON.parse(d) as { chain: string; txid: string; spent?: string[] })
      .filter((d) => d.chain === name);

  it('adds change outputs to the UTXO set as the wallet’s (no deposit), records spends as observations, alarms on unknown ones, and forgets them on a reorg', async () => {
    const chain = new ScriptedUtxoChain();
    const scanner = new ChainScanner({
      db,
      chain: name,
      source: chain,
      watched: new WatchedAddresses(db, name, (a) => a),
      fence: { chain: name, token: 1n, holder: 's1' },
      log,
      startHeight: 1,
      hotWallets: new HotWallets(
        db,
        name,
        (a) => a,
        async (txids) => txids.map((t) => ctx.get(t) ?? null),
      ),
    });
    // block 1: a deposit and, before the change address is known, an output to it (not ours yet)
    chain.mine([depositOut('d1', 0, 1000n), walletOut('early', 0, 5n)], []);
    expect(await scanner.scan(64)).toMatchObject({ kind: 'scanned', deposits: 1 });
    // The wallet records a change address (signsrv): watched from the next scan on.
    await db('wallet_addresses').insert({ chain: name, address: change, branch: 1, derivation_index: 0, role: 'change' });
    // block 2: change outputs of three transactions, another deposit
    chain.mine(
      [walletOut('c1', 1, 600n), walletOut('c2', 0, 700n), walletOut('c3', 0, 800n), walletOut('c4', 0, 900n), depositOut('d2', 0, 50n)],
      [],
    );
    expect(await scanner.scan(64)).toMatchObject({ kind: 'scanned', deposits: 1 });
    const utxos = await db('utxos')
      .where({ chain: name })
      .orderBy('txid')
      .select<{ txid: string; account_id: string }[]>('txid', 'account_id');
    expect(utxos).toEqual([
      { txid: 'c1', account_id: 'sys:chain:lw:wallet' },
      { txid: 'c2', account_id: 'sys:chain:lw:wallet' },
      { txid: 'c3', account_id: 'sys:chain:lw:wallet' },
      { txid: 'c4', account_id: 'sys:chain:lw:wallet' },
      { txid: 'd1', account_id: 'acc' },
      { txid: 'd2', account_id: 'acc' },
    ]);
    expect(walletOwnerId(name)).toBe('sys:chain:lw:wallet');
    // Change is never a deposit: only the two deposit outputs are.
    expect(await db('deposits').where({ chain: name }).orderBy('txid').pluck('txid')).toEqual(['d1', 'd2']);

    // signsrv's transactions: a batch paying two withdrawals (spends c1 and d1), one paying one (spends c2), a
    // consolidation (spends c3); and a spend nobody in the wallet made (c4).
    await member('batch', 'wd_a', 0, 120n);
    await member('batch', 'wd_b', 1, 80n);
    await member('single', 'wd_c', 0, 90n);
    ctx.set('batch', 'ctx-of-a');
    ctx.set('single', 'ctx-of-c');
    await db('utxo_builds').insert({
      id: 'ub_cons',
      chain: name,
      kind: 'consolidation',
      status: 'broadcast',
      psbt: 'x',
      inputs: 1,
      input_total: '800',
      fee: '33',
      fee_rate: 1,
      vsize: 110,
      txid: 'cons',
      locked_until: new Date(),
    });
    chain.mine(
      [],
      [
        { txid: 'batch', prevTxid: 'c1', prevVout: 1 },
        { txid: 'batch', prevTxid: 'd1', prevVout: 0 },
        { txid: 'single', prevTxid: 'c2', prevVout: 0 },
      ],
    );
    chain.mine(
      [],
      [
        { txid: 'cons', prevTxid: 'c3', prevVout: 0 },
        { txid: 'rogue', prevTxid: 'c4', prevVout: 0 },
      ],
    );
    expect(await scanner.scan(64)).toMatchObject({ kind: 'scanned', blocks: 2 });
    expect(await observations()).toEqual([
      // A batch: one observation, its members' fee shares summed; no blockout_ctx localhash (it names one member only).
      { txid: 'batch', from_address: '', withdrawal_id: 'wd_a', localhash: null, status: 'success', fee: '200', block_number: '3' },
      { txid: 'cons', from_address: '', withdrawal_id: null, localhash: null, status: 'success', fee: '33', block_number: '4' },
      { txid: 'rogue', from_address: '', withdrawal_id: null, localhash: null, status: 'success', fee: '0', block_number: '4' },
      { txid: 'single', from_address: '', withdrawal_id: 'wd_c', localhash: 'ctx-of-c', status: 'success', fee: '90', block_number: '3' },
    ]);
    // Only the spend signsrv did not make raises the alarm, naming what it spent.
    expect((await alerts()).map((a) => ({ txid: a.txid, spent: a.spent }))).toEqual([{ txid: 'rogue', spent: ['c4:0'] }]);
    expect(await db('utxos').where({ chain: name }).whereNotNull('spent_by_txid').orderBy('txid').pluck('spent_by_txid')).toEqual([
      'batch',
      'single',
      'cons',
      'rogue',
      'batch',
    ]);

    // A reorg drops both blocks: the observations go (settlement waits until the transactions are seen again), the
    // outputs are unspent again.
    chain.reorg(2);
    for (let i = 0; i < 3; i++) chain.mine([], []);
    for (let i = 0; i < 10; i++) if ((await scanner.scan(64)).kind === 'idle') break;
    expect(await observations()).toEqual([]);
    expect(await db('utxos').where({ chain: name }).whereNotNull('spent_by_txid').pluck('txid')).toEqual([]);
    // Re-mined on the new branch: seen again, on its new block.
    chain.mine([], [{ txid: 'single', prevTxid: 'c2', prevVout: 0 }]);
    expect(await scanner.scan(64)).toMatchObject({ kind: 'scanned' });
    expect(await observations()).toEqual([
      { txid: 'single', from_address: '', withdrawal_id: 'wd_c', localhash: 'ctx-of-c', status: 'success', fee: '90', block_number: '6' },
    ]);
    expect(await alerts()).toHaveLength(1);
  });
});

describe('ChainScanner keeps the input locks of builds across a reorg', () => {
  const name = 'lk';
  const to = 'rltc1qlocked';
  const ours = (txid: string, amount: bigint): SeenTransfer => ({ ...out(txid, 0, amount), to });
  const build = (id: string) =>
    db('utxo_builds').insert({
      id,
      chain: name,
      kind: 'withdrawals',
      status: 'signed',
      psbt: 'x',
      inputs: 1,
      input_total: '1000',
      fee: '10',
      fee_rate: 1,
      vsize: 110,
      locked_until: new Date('9999-12-31T00:00:00Z'),
    });
  const locks = () =>
    db('utxos').where({ chain: name }).orderBy('txid').select<{ txid: string; locked_by: string | null }[]>('txid', 'locked_by');

  beforeAll(async () => {
    await db('addresses').insert({ chain: name, address: to, derivation_index: 0, path: 'm', account_id: 'acc', client_id: 'c1' });
  });

  // Found by the fault campaign (docs/reliability.md): the output came back unlocked, coin selection chose it for a
  // second build, and one of the two transactions spending it could never be mined (the withdrawal stayed signed).
  it('an output dropped while a build holds it comes back locked by that build; one whose build was abandoned comes back free', async () => {
    const chain = new ScriptedUtxoChain();
    const scanner = new ChainScanner({
      db,
      chain: name,
      source: chain,
      watched: new WatchedAddresses(db, name, (a) => a),
      fence: { chain: name, token: 1n, holder: 's1' },
      log,
      startHeight: 1,
    });
    chain.mine([], []);
    chain.mine([ours('o1', 1000n), ours('o2', 2000n)], []);
    expect(await scanner.scan(64)).toMatchObject({ kind: 'scanned', blocks: 2 });
    // Two builds (signsrv) lock one output each; their transactions are not mined yet.
    await build('ub_live');
    await build('ub_gone');
    const forever = new Date('9999-12-31T00:00:00Z');
    await db('utxos').where({ chain: name, txid: 'o1' }).update({ locked_by: 'ub_live', locked_until: forever });
    await db('utxos').where({ chain: name, txid: 'o2' }).update({ locked_by: 'ub_gone', locked_until: forever });

    // The block of both outputs is dropped: the outputs go, their locks are kept aside.
    chain.reorg(1);
    for (let i = 0; i < 2; i++) chain.mine([], []);
    for (let i = 0; i < 10; i++) if ((await scanner.scan(64)).kind === 'idle') break;
    expect(await locks()).toEqual([]);
    expect(await db('utxo_dropped_locks').where({ chain: name }).orderBy('txid').pluck('locked_by')).toEqual(['ub_live', 'ub_gone']);
    // One build is abandoned meanwhile (signsrv frees its inputs: none is in utxos now).
    await db('utxo_builds').where({ id: 'ub_gone' }).update({ status: 'abandoned' });

    // Mined again on the new branch: the live build's lock is back, the abandoned one's is not; nothing is left aside.
    chain.mine([ours('o1', 1000n), ours('o2', 2000n)], []);
    expect(await scanner.scan(64)).toMatchObject({ kind: 'scanned' });
    expect(await locks()).toEqual([
      { txid: 'o1', locked_by: 'ub_live' },
      { txid: 'o2', locked_by: null },
    ]);
    expect(
      (await db('utxos').where({ chain: name, txid: 'o1' }).first<{ locked_until: Date }>('locked_until')).locked_until.getTime(),
    ).toBe(forever.getTime());
    expect(await db('utxo_dropped_locks').where({ chain: name })).toEqual([]);
  });
});
