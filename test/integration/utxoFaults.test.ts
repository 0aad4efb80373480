import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { Litecoind, ltcP2pAddress, ltcRpcUrl } from '../harness/litecoind.js';
import { PrivateLitecoind } from '../harness/PrivateLitecoind.js';
import type { ServiceProcess } from '@wallet/launcher';
import { TcpProxy } from '../harness/TcpProxy.js';
import { waitFor } from '../harness/waitFor.js';

/**
 * Faults of the UTXO deposit path on the stack's litecoind, through the whole cluster: reorgs after credit (1 and 10
 * blocks deep, with invalidateblock, a competing branch mined without the deposit kept out by prioritisetransaction),
 * double-spends of an unconfirmed deposit (BIP125 replacement in the mempool; a conflicting transaction mined by a
 * private node following the stack node), a rescan from a start height, kill -9 mid-catch-up, the node unreachable,
 * and the node restarting mid-catch-up. The stack node is shared with other tests: it is never stopped, only forked;
 * the restart and kill -9 tests run a private node of their own.
 */

type Deposit = { id: string; asset: string; txid: string; outputIndex: number; amount: string; status: string; confirmations: number };
type Balance = { asset: string; available: string; frozen: string; pending: string };

const node = new Litecoind();

/** A cluster scanning ltc (on the stack's litecoind unless told otherwise), with one client's API. */
class LtcWorld {
  private constructor(
    readonly cluster: Cluster,
    readonly fixtures: LedgerFixtures,
    readonly api: ApiClient,
    readonly node: Litecoind,
  ) {}

  /** @param chainNode the node the cluster's ltc scanner reads (through `options.chainRpc`, if given) @default the stack's */
  static async start(options: Parameters<typeof Cluster.start>[0] = {}, chainNode: Litecoind = node): Promise<LtcWorld> {
    const cluster = await Cluster.start({ chainRpc: { eth: 'http://127.0.0.1:8545', ltc: chainNode.rpcUrl }, ...options });
    const fixtures = new LedgerFixtures(cluster.database);
    const api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, `Litecoin Faults ${cluster.env}`));
    const world = new LtcWorld(cluster, fixtures, api, chainNode);
    await world.leading();
    return world;
  }

  /** Some transrv of the cluster leads the ltc scanner. */
  async leading(): Promise<void> {
    await waitFor(
      'an ltc scanner leader',
      async () =>
        [...this.cluster.processes.entries()].some(
          ([label, p]) => label.startsWith('transrv') && p.lines.some((l) => l.msg === 'scanning as leader' && l['chain'] === 'ltc'),
        ) || undefined,
      60_000,
    );
  }

  async openAccount(): Promise<string> {
    const acc = await this.api.post<{ id: string }>('/v1/accounts', { externalId: `ltc-faults-${Math.random()}` });
    expect(acc.status).toBe(201);
    return acc.body.id;
  }

  async newAddress(accountId: string): Promise<string> {
    const addr = await this.api.post<{ address: string }>(`/v1/accounts/${accountId}/addresses`, { chain: 'ltc' });
    expect(addr.status).toBe(201);
    return addr.body.address;
  }

  async deposits(accountId: string): Promise<Deposit[]> {
    return (await this.api.get<{ data: Deposit[] }>(`/v1/accounts/${accountId}/deposits?limit=200`)).body.data;
  }

  async balance(accountId: string): Promise<Balance> {
    const data = (await this.api.get<{ data: Balance[] }>(`/v1/accounts/${accountId}/balances`)).body.data;
    return data.find((b) => b.asset === 'LTC') ?? { asset: 'LTC', available: '0', frozen: '0', pending: '0' };
  }

  depositsOf(accountId: string, txid: string, status: string, count = 1, timeoutMs = 30_000): Promise<Deposit[]> {
    return waitFor(
      `${count} deposit(s) of ${txid} ${status}`,
      async () => {
        const found = (await this.deposits(accountId)).filter((d) => d.txid === txid && d.status === status);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
    );
  }

  /** The ltc checkpoint has reached the node's tip (so that "nothing more happened" can be asserted). */
  async scannedToTip(timeoutMs = 30_000): Promise<void> {
    const tip = await this.node.call<string>('getbestblockhash');
    await waitFor(
      'ltc scanned to the tip',
      async () => ((await this.fixtures.db('chain_blocks').where({ chain: 'ltc', hash: tip }).first()) ? true : undefined),
      timeoutMs,
    );
    await new Promise((r) => setTimeout(r, 1500)); // settlement runs every 0.5 s: a second credit would show by now
  }

  /** The account's deposit ledger: credits and reversals (journal lines of the account). */
  async ledger(accountId: string): Promise<{ deposit: number; deposit_reversal: number }> {
    const [rows] = (await this.fixtures.db.raw('SELECT kind, COUNT(*) AS n FROM journal WHERE account_id = ? GROUP BY kind', [
      accountId,
    ])) as [{ kind: string; n: string }[]];
    const of = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
    return { deposit: of('deposit'), deposit_reversal: of('deposit_reversal') };
  }

  async stop(): Promise<void> {
    expect(await this.fixtures.invariants()).toEqual([]);
    await this.fixtures.close();
    await this.cluster.stop();
  }
}

const SAT = 100_000_000n;
const sats = (ltc: string): bigint => BigInt(Math.round(Number(ltc) * 1e8));
const toLtc = (sat: bigint): number => Number(sat) / 1e8;
type Coin = { txid: string; vout: number; amount: number; scriptPubKey: string };
const usedCoins = new Set<string>();

/**
 * A coin of the miner wallet with at least 200 confirmations and more than `ltc`: a reorg of a few blocks cannot make
 * it an immature coinbase (which would drop a transaction spending it from the mempool instead of bringing it back).
 */
async function coin(ltc: string): Promise<Coin> {
  const unspent = await node.call<(Coin & { spendable: boolean })[]>('listunspent', [200], true);
  // Not an MWEB output (the stack's wallet holds some, sent before MWEB activated): listunspent gives those no `vout`,
  // and a raw transaction cannot spend them.
  const found = unspent.find(
    (u) =>
      u.spendable &&
      (u.vout as number | undefined) !== undefined &&
      sats(String(u.amount)) > sats(ltc) + SAT / 10n &&
      !usedCoins.has(`${u.txid}:${u.vout}`),
  );
  if (!found) throw new Error('the miner wallet has no coin of 200 confirmations big enough');
  usedCoins.add(`${found.txid}:${found.vout}`);
  return found;
}

/**
 * Signs a spend of `from` to `amounts` (address -> LTC), the rest less `fee` back to the miner wallet; signalling BIP125
 * replaceability when `replaceable`. Spending the same coin again with a higher fee replaces a replaceable transaction
 * in the node's mempool; one that does not signal can only be displaced by a conflicting transaction mined in a block.
 * @returns the signed transaction's hex
 */
async function signSpend(from: Coin, amounts: Record<string, string>, fee: string, replaceable = true): Promise<string> {
  const change = await node.call<string>('getrawchangeaddress', [], true);
  const paid = Object.values(amounts).reduce((sum, v) => sum + sats(v), 0n);
  const outputs = {
    ...Object.fromEntries(Object.entries(amounts).map(([a, v]) => [a, Number(v)])),
    [change]: toLtc(sats(String(from.amount)) - paid - sats(fee)),
  };
  const sequence = replaceable ? 0xfffffffd : 0xfffffffe;
  const raw = await node.call<string>('createrawtransaction', [[{ txid: from.txid, vout: from.vout, sequence }], outputs]);
  const prevtx = { txid: from.txid, vout: from.vout, scriptPubKey: from.scriptPubKey, amount: from.amount };
  const signed = await node.call<{ hex: string; complete: boolean }>('signrawtransactionwithwallet', [raw, [prevtx]], true);
  expect(signed.complete).toBe(true);
  return signed.hex;
}

/** {@link signSpend} sent to the stack node, replaceable (BIP125). @returns txid */
async function spend(from: Coin, amounts: Record<string, string>, fee: string): Promise<string> {
  return node.call<string>('sendrawtransaction', [await signSpend(from, amounts, fee)]);
}

const txidOf = async (hex: string): Promise<string> => (await node.call<{ txid: string }>('decoderawtransaction', [hex])).txid;

/** Pays `amounts` from the miner wallet with an old coin (see {@link coin}). @returns txid */
async function pay(amounts: Record<string, string>): Promise<string> {
  const total = Object.values(amounts).reduce((sum, v) => sum + sats(v), 0n);
  return spend(await coin(String(toLtc(total))), amounts, '0.0005');
}

const rpcTarget = (): { host: string; port: number } => {
  const u = new URL(ltcRpcUrl);
  return { host: u.hostname, port: Number(u.port) };
};

async function scannedHeight(world: LtcWorld): Promise<number> {
  const [rows] = (await world.fixtures.db.raw("SELECT MAX(number) AS n FROM chain_blocks WHERE chain = 'ltc'")) as [{ n: string | null }[]];
  return Number(rows[0]?.n ?? 0);
}

async function metric(p: ServiceProcess, name: string): Promise<string | undefined> {
  const ready = p.lines.find((l) => l.msg === 'metrics ready');
  if (!ready) return undefined;
  const text = await (await fetch(String(ready['url']))).text();
  return (
    text
      .split('\n')
      // The chain label first, then the process's service and instance (issue 18).
      .find((l) => l.startsWith(`${name}{chain="ltc",`))
      ?.split(' ')[1]
  );
}

/**
 * A catch-up to make on a private litecoind (mined past MWEB activation, like the stack's; its own datadir and port,
 * so it may be stopped and 1,000 blocks do not pile up on the shared node), reached through a TCP proxy that can slow
 * it down: a one-transrv cluster, an account with three addresses, and, while that transrv is stopped, `count`
 * deposits (the i-th of `amountOf(i)` LTC, to address i % 3), `after` mining blocks behind each.
 */
class PrivateCatchUp {
  private constructor(
    readonly own: PrivateLitecoind,
    readonly proxy: TcpProxy,
    readonly x: LtcWorld,
    readonly id: string,
    readonly addresses: string[],
    readonly startedFrom: number,
    readonly sent: string[],
    readonly total: bigint,
  ) {}

  static async start(
    count: number,
    amountOf: (i: number) => string,
    after: (own: PrivateLitecoind) => Promise<unknown>,
  ): Promise<PrivateCatchUp> {
    const own = await PrivateLitecoind.launch();
    let proxy: TcpProxy | undefined;
    let x: LtcWorld | undefined;
    try {
      await own.mineTo(450);
      proxy = await TcpProxy.start('127.0.0.1', own.rpcPort);
      x = await LtcWorld.start({ transrvNodes: ['t1'], chainRpc: { eth: 'http://127.0.0.1:8545', ltc: proxy.urlFor(own.rpcUrl) } }, own);
      const id = await x.openAccount();
      const addresses = [await x.newAddress(id), await x.newAddress(id), await x.newAddress(id)];
      await x.scannedToTip();
      expect(await x.cluster.process('transrv-t1').stop('SIGTERM')).toBe(0);
      const startedFrom = await scannedHeight(x);
      const sent: string[] = [];
      let total = 0n;
      for (let i = 1; i <= count; i++) {
        const amount = amountOf(i);
        sent.push(await own.sendMany({ [addresses[i % 3]!]: amount }));
        total += sats(amount);
        await after(own);
      }
      return new PrivateCatchUp(own, proxy, x, id, addresses, startedFrom, sent, total);
    } catch (error) {
      await x?.stop();
      await proxy?.close();
      await own.destroy();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.x.stop();
    await this.proxy.close();
    await this.own.destroy();
  }
}

describe('UTXO deposit faults on the stack litecoind, through the whole cluster', () => {
  let w: LtcWorld;
  beforeAll(async () => {
    w = await LtcWorld.start();
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('a credited deposit reorged away is reversed (reversing entry, balance back); mined again in the new branch it is credited once', async () => {
    const id = await w.openAccount();
    const address = await w.newAddress(id);
    const txid = await pay({ [address]: '0.3' });
    const [depositBlock] = await node.mine(2);
    await w.depositsOf(id, txid, 'credited');
    expect(await w.balance(id)).toMatchObject({ available: '30000000', pending: '0' });

    // A longer branch from below the deposit's block, without the transaction.
    await node.exclude(txid, true);
    await node.call('invalidateblock', [depositBlock]);
    await node.mine(3);
    await w.depositsOf(id, txid, 'reversed');
    await w.scannedToTip();
    expect(await w.balance(id)).toMatchObject({ available: '0', pending: '0' });
    expect(await w.ledger(id)).toEqual({ deposit: 1, deposit_reversal: 1 });
    expect(await w.fixtures.db('utxos').where({ chain: 'ltc', txid })).toEqual([]);

    // The transaction is mined again, in a block of the new branch: credited once more, and only once.
    await node.exclude(txid, false);
    const [again] = await node.mine(2);
    expect(again).not.toBe(depositBlock);
    await w.depositsOf(id, txid, 'credited');
    await node.mine(1);
    await w.scannedToTip();
    expect((await w.deposits(id)).map((d) => [d.txid, d.status])).toEqual([[txid, 'credited']]);
    expect(await w.balance(id)).toMatchObject({ available: '30000000', pending: '0' });
    expect(await w.ledger(id)).toEqual({ deposit: 2, deposit_reversal: 1 });
    expect(await w.fixtures.db('utxos').where({ chain: 'ltc', txid })).toHaveLength(1);
    await node.call('reconsiderblock', [depositBlock]); // the old branch is shorter: the node stays on the new one
  });

  it('a reorg 10 blocks deep: the credited deposit is reversed, a longer branch without it, then with it: credited once', async () => {
    const id = await w.openAccount();
    const address = await w.newAddress(id);
    const txid = await pay({ [address]: '0.4' });
    const branch = await node.mine(10);
    const depositBlock = branch[0]!;
    await w.depositsOf(id, txid, 'credited');
    await w.scannedToTip();

    await node.exclude(txid, true);
    await node.call('invalidateblock', [depositBlock]);
    expect(await node.call<string>('getbestblockhash')).not.toBe(branch[9]);
    await node.mine(11);
    await w.depositsOf(id, txid, 'reversed', 1, 60_000);
    await w.scannedToTip();
    expect(await w.balance(id)).toMatchObject({ available: '0', pending: '0' });
    expect(await w.ledger(id)).toEqual({ deposit: 1, deposit_reversal: 1 });

    await node.exclude(txid, false);
    await node.mine(3);
    await w.depositsOf(id, txid, 'credited');
    await w.scannedToTip();
    expect((await w.deposits(id)).map((d) => d.status)).toEqual(['credited']);
    expect(await w.balance(id)).toMatchObject({ available: '40000000', pending: '0' });
    expect(await w.ledger(id)).toEqual({ deposit: 2, deposit_reversal: 1 });
    await node.call('reconsiderblock', [depositBlock]);
  });
  it('a double-spend of an unconfirmed deposit (RBF) is never credited; the replacement is, when it pays us', async () => {
    const id = await w.openAccount();
    const [a, b] = [await w.newAddress(id), await w.newAddress(id)];
    // A pays a; its replacement B (same coin, higher fee) pays b instead, less.
    const first = await coin('1');
    const A = await spend(first, { [a]: '0.25' }, '0.0005');
    const B = await spend(first, { [b]: '0.15' }, '0.002');
    // C pays a; its replacement D pays only the node's wallet.
    const second = await coin('1');
    const C = await spend(second, { [a]: '0.5' }, '0.0005');
    const D = await spend(second, {}, '0.002');
    const mempool = await node.call<string[]>('getrawmempool');
    expect(mempool).toEqual(expect.arrayContaining([B, D]));
    expect(mempool).not.toContain(A);
    expect(mempool).not.toContain(C);

    await node.mine(2);
    await w.depositsOf(id, B, 'credited');
    await node.mine(1);
    await w.scannedToTip();
    expect((await w.deposits(id)).map((d) => [d.txid, d.status, d.amount])).toEqual([[B, 'credited', '15000000']]);
    expect(await w.balance(id)).toMatchObject({ available: '15000000', pending: '0' });
    expect(await w.ledger(id)).toEqual({ deposit: 1, deposit_reversal: 0 });
    expect(await w.fixtures.db('utxos').where({ chain: 'ltc' }).whereIn('txid', [A, C])).toEqual([]);
    expect(await w.fixtures.db('utxos').where({ chain: 'ltc', txid: B })).toHaveLength(1);
  });

  describe('a conflicting transaction mined elsewhere (a private node following the stack node: P2P, blocks only)', () => {
    let elsewhere: PrivateLitecoind;
    const onStackChain = async (): Promise<true | undefined> => {
      const [ours, theirs] = await Promise.all([elsewhere.call<string>('getbestblockhash'), node.call<string>('getbestblockhash')]);
      return ours === theirs ? true : undefined;
    };
    beforeAll(async () => {
      elsewhere = await PrivateLitecoind.launch({ peer: ltcP2pAddress, walletless: true });
      // The whole shared chain over P2P: some 150 blocks/s on a busy 2-core machine, so it grows with the stack's chain.
      await waitFor('the private node synced with the stack node', onStackChain, 110_000);
    }, 120_000);
    afterAll(async () => {
      await elsewhere?.destroy();
    });

    /**
     * Cuts the private node off once it has the stack node's chain, runs `meanwhile` (which mines on either node), then
     * connects it again and waits until the stack node has taken the private node's branch.
     */
    async function minedElsewhere(meanwhile: () => Promise<void>): Promise<void> {
      await waitFor('the private node on the stack chain', onStackChain);
      await elsewhere.call('setnetworkactive', [false]);
      try {
        await meanwhile();
      } finally {
        await elsewhere.call('setnetworkactive', [true]);
      }
      const tip = await elsewhere.call<string>('getbestblockhash');
      await waitFor('the stack node on the private branch', async () =>
        (await node.call<string>('getbestblockhash')) === tip ? true : undefined,
      );
    }

    it('a raw double-spend mined in a block while the deposit sat in the mempool: the deposit is never credited, the double-spend is when it pays us', async () => {
      const id = await w.openAccount();
      const [a, b] = [await w.newAddress(id), await w.newAddress(id)];
      // E pays a, F (the same coin) pays b; G pays a, H (the same coin) pays only the miner wallet. E and G do not
      // signal replaceability: F and H cannot replace them in the stack node's mempool, only displace them from a block.
      const [first, second] = [await coin('1'), await coin('1')];
      const eHex = await signSpend(first, { [a]: '0.35' }, '0.0005', false);
      const fHex = await signSpend(first, { [b]: '0.33' }, '0.001', false);
      const gHex = await signSpend(second, { [a]: '0.45' }, '0.0005', false);
      const hHex = await signSpend(second, {}, '0.001', false);
      const [E, F, G, H] = [await txidOf(eHex), await txidOf(fHex), await txidOf(gHex), await txidOf(hHex)];

      await minedElsewhere(async () => {
        await node.call('sendrawtransaction', [eHex]);
        await node.call('sendrawtransaction', [gHex]);
        await expect(node.call('sendrawtransaction', [fHex])).rejects.toThrow(/txn-mempool-conflict/);
        await elsewhere.call('sendrawtransaction', [fHex]);
        await elsewhere.call('sendrawtransaction', [hHex]);
        const [block] = await elsewhere.mineFiller(1);
        const mined = await elsewhere.call<{ tx: string[] }>('getblock', [block]);
        expect(mined.tx).toEqual(expect.arrayContaining([F, H]));
      });
      const mempool = await node.call<string[]>('getrawmempool');
      expect(mempool).not.toContain(E);
      expect(mempool).not.toContain(G);

      await node.mine(1);
      await w.depositsOf(id, F, 'credited');
      await node.mine(1);
      await w.scannedToTip();
      expect((await w.deposits(id)).map((d) => [d.txid, d.status, d.amount])).toEqual([[F, 'credited', '33000000']]);
      expect(await w.balance(id)).toMatchObject({ available: '33000000', pending: '0' });
      expect(await w.ledger(id)).toEqual({ deposit: 1, deposit_reversal: 0 });
      expect(await w.fixtures.db('utxos').where({ chain: 'ltc' }).whereIn('txid', [E, G, H])).toEqual([]);
      expect(await w.fixtures.db('utxos').where({ chain: 'ltc', txid: F })).toHaveLength(1);
    });

    it('a pending deposit (1 confirmation) whose block loses to a branch with a double-spend: orphaned, its UTXO gone; the double-spend credited', async () => {
      const id = await w.openAccount();
      const [a, b] = [await w.newAddress(id), await w.newAddress(id)];
      const from = await coin('1');
      const eHex = await signSpend(from, { [a]: '0.55' }, '0.0005', false);
      const fHex = await signSpend(from, { [b]: '0.52' }, '0.001', false);
      const [E, F] = [await txidOf(eHex), await txidOf(fHex)];

      await minedElsewhere(async () => {
        await node.call('sendrawtransaction', [eHex]);
        await node.mine(1);
        await w.depositsOf(id, E, 'pending');
        expect(await w.fixtures.db('utxos').where({ chain: 'ltc', txid: E })).toHaveLength(1);
        // A longer branch from below E's block, with F.
        await elsewhere.call('sendrawtransaction', [fHex]);
        await elsewhere.mineFiller(2);
      });
      await w.depositsOf(id, E, 'orphaned');
      await w.depositsOf(id, F, 'credited');
      await w.scannedToTip();
      const seen = (await w.deposits(id)).map((d) => [d.txid, d.status, d.amount]);
      expect(seen).toHaveLength(2);
      expect(seen).toEqual(
        expect.arrayContaining([
          [E, 'orphaned', '55000000'],
          [F, 'credited', '52000000'],
        ]),
      );
      expect(await w.balance(id)).toMatchObject({ available: '52000000', pending: '0' });
      expect(await w.ledger(id)).toEqual({ deposit: 1, deposit_reversal: 0 });
      expect(await w.fixtures.db('utxos').where({ chain: 'ltc', txid: E })).toEqual([]);
      expect(await w.fixtures.db('utxos').where({ chain: 'ltc', txid: F })).toHaveLength(1);
    });
  });
});

describe('UTXO scanner restarts and outages, each on its own cluster (one transrv)', () => {
  it('a rescan from a start height below credited deposits (checkpoint removed) credits nothing twice and catches up', async () => {
    const x = await LtcWorld.start({ transrvNodes: ['t1'] });
    try {
      const id = await x.openAccount();
      const address = await x.newAddress(id);
      const t1 = await pay({ [address]: '0.11' });
      const [b1] = await node.mine(1);
      const t2 = await pay({ [address]: '0.12' });
      await node.mine(2);
      await x.depositsOf(id, t1, 'credited');
      await x.depositsOf(id, t2, 'credited');
      const h1 = (await node.call<{ height: number }>('getblockheader', [b1])).height;
      expect(await x.cluster.process('transrv-t1').stop('SIGTERM')).toBe(0);

      // The scanner's checkpoint is its newest chain_blocks row: without any, it starts at TRANSRV_SCAN_START_HEIGHTS.
      await x.fixtures.db('chain_blocks').where({ chain: 'ltc' }).delete();
      const t3 = await pay({ [address]: '0.13' });
      await node.mine(2);
      await x.cluster.startTransrv('t1', { TRANSRV_SCAN_START_HEIGHTS: JSON.stringify({ ltc: h1 - 3 }) });
      await x.depositsOf(id, t3, 'credited');
      await x.scannedToTip();
      const [[lowest]] = (await x.fixtures.db.raw("SELECT MIN(number) AS n FROM chain_blocks WHERE chain = 'ltc'")) as [[{ n: string }]];
      expect(Number(lowest.n)).toBe(h1 - 3); // it did scan the credited deposits' blocks again
      // Every cluster of the test suite derives from the same xpubs: the rescanned blocks may hold other tests' payments
      // to this address too. Each output is one deposit, credited once.
      const seen = await x.deposits(id);
      expect(new Set(seen.map((d) => `${d.txid}:${d.outputIndex}`)).size).toBe(seen.length);
      expect(seen.every((d) => d.status === 'credited')).toBe(true);
      expect(seen.filter((d) => [t1, t2, t3].includes(d.txid))).toHaveLength(3);
      expect(await x.ledger(id)).toEqual({ deposit: seen.length, deposit_reversal: 0 });
      const sum = seen.reduce((acc, d) => acc + BigInt(d.amount), 0n);
      expect(await x.balance(id)).toMatchObject({ available: String(sum), pending: '0' });
    } finally {
      await x.stop();
    }
  });

  // On a private node (mined past MWEB activation, like the stack's): 1,000 blocks per run would pile up on the shared
  // node, and everything that follows its chain (a private peer syncing it, a rescan) would get slower with each run.
  it('kill -9 of the scanning transrv in the middle of a catch-up over 1,000 blocks: every deposit credited exactly once', async () => {
    // While the only transrv is down: 20 deposits, one every 50 blocks over 1,000.
    const c = await PrivateCatchUp.start(
      20,
      (i) => (i / 100).toFixed(2),
      (own) => own.mineFiller(50),
    );
    const { own, proxy, x, id, sent, total, startedFrom } = c;
    try {
      const tip = await own.height();
      expect(tip - startedFrom).toBeGreaterThanOrEqual(1000);
      // A slow node (every request held 25 ms) makes the catch-up take long enough to be cut in the middle: once a
      // third of it is written.
      proxy.delayMs = 25;
      const first = await x.cluster.startTransrv('t1');
      const third = startedFrom + Math.floor((tip - startedFrom) / 3);
      await waitFor('a third of the catch-up', async () => ((await scannedHeight(x)) >= third ? true : undefined), 90_000);
      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = await scannedHeight(x);
      expect(killedAt).toBeLessThan(tip - 300); // really killed in the middle, with most of the catch-up still to do

      proxy.delayMs = 0;
      const second = await x.cluster.startTransrv('t1');
      // It resumes from its checkpoint: neither from the start nor from the head.
      const resumed = await second.waitForLog((l) => l.msg === 'scanning as leader' && l['chain'] === 'ltc');
      expect(resumed['from']).toBe(killedAt + 1);
      await waitFor(
        'all 20 deposits credited',
        async () => {
          const seen = await x.deposits(id);
          return seen.length === 20 && seen.every((d) => d.status === 'credited') ? true : undefined;
        },
        60_000,
      );
      await x.scannedToTip();
      const seen = await x.deposits(id);
      expect(seen.map((d) => d.txid).sort()).toEqual([...sent].sort()); // each once
      expect(await x.ledger(id)).toEqual({ deposit: 20, deposit_reversal: 0 });
      expect(await x.balance(id)).toMatchObject({ available: String(total), pending: '0' });
      expect(await x.fixtures.db('utxos').where({ chain: 'ltc', account_id: id })).toHaveLength(20);
    } finally {
      await c.stop();
    }
  }, 180_000);

  it('the node unreachable: the scanner is reported stalled (log and metric), then catches up when the node is back', async () => {
    const proxy = await TcpProxy.start(rpcTarget().host, rpcTarget().port);
    const x = await LtcWorld.start({ transrvNodes: ['t1'], chainRpc: { eth: 'http://127.0.0.1:8545', ltc: proxy.urlFor(ltcRpcUrl) } });
    try {
      const t1 = x.cluster.process('transrv-t1');
      const id = await x.openAccount();
      const address = await x.newAddress(id);
      await x.scannedToTip();
      expect(await metric(t1, 'wallet_scanner_stalled')).toBe('0');

      await proxy.close(); // connections refused from now on
      const txid = await pay({ [address]: '0.21' });
      await node.mine(3);
      await t1.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('SCANNER STALLED') && l['chain'] === 'ltc', 90_000);
      await waitFor('the stalled metric', async () => ((await metric(t1, 'wallet_scanner_stalled')) === '1' ? true : undefined));
      expect(await x.deposits(id)).toEqual([]);

      await proxy.open();
      await x.depositsOf(id, txid, 'credited', 1, 60_000);
      await waitFor('the stalled metric cleared', async () => ((await metric(t1, 'wallet_scanner_stalled')) === '0' ? true : undefined));
      await x.scannedToTip();
      expect(await x.ledger(id)).toEqual({ deposit: 1, deposit_reversal: 0 });
      expect(await x.balance(id)).toMatchObject({ available: '21000000', pending: '0' });
      expect(t1.running).toBe(true);
    } finally {
      await x.stop();
      await proxy.close();
    }
  }, 180_000);

  // The stack's node is shared and must never be stopped: this test runs a private one (its own datadir and port), mined
  // past MWEB activation like the stack's (block 432 with a peg-in), so the catch-up scans post-MWEB blocks.
  it('the node restarting (RPC stop, started again on its datadir) in the middle of a catch-up: the scanner resumes, every deposit credited exactly once', async () => {
    // While the only transrv is down: 10 deposits spread over 300 blocks, a catch-up for when it is back.
    const c = await PrivateCatchUp.start(
      10,
      (i) => (i / 10).toFixed(1),
      (own) => own.mine(30),
    );
    const { own, proxy, x, id, addresses, sent, startedFrom } = c;
    let { total } = c;
    try {
      const tip = await own.height();
      proxy.delayMs = 25; // a slow node: the catch-up lasts long enough to stop the node in its middle
      const t1 = await x.cluster.startTransrv('t1');
      await waitFor('some catch-up progress', async () => ((await scannedHeight(x)) > startedFrom ? true : undefined), 60_000);
      await own.stop();
      const stoppedAt = await scannedHeight(x);
      expect(stoppedAt).toBeLessThan(tip); // really stopped in the middle
      await t1.waitForLog((l) => typeof l.msg === 'string' && l.msg.endsWith('campaigning again') && l['chain'] === 'ltc', 30_000);
      expect(await scannedHeight(x)).toBe(stoppedAt);

      await own.start(); // same datadir, same RPC port behind the proxy
      proxy.delayMs = 0;
      await waitFor(
        'all 10 deposits credited',
        async () => {
          const seen = await x.deposits(id);
          return seen.length === 10 && seen.every((d) => d.status === 'credited') ? true : undefined;
        },
        90_000,
      );
      // It follows the head again, too: a deposit made after the restart is credited.
      const late = await own.sendMany({ [addresses[0]!]: '0.05' });
      sent.push(late);
      total += sats('0.05');
      await own.mine(2);
      await x.depositsOf(id, late, 'credited');
      await x.scannedToTip();

      const seen = await x.deposits(id);
      expect(seen.map((d) => d.txid).sort()).toEqual([...sent].sort()); // each once
      expect(seen.every((d) => d.status === 'credited')).toBe(true);
      expect(await x.ledger(id)).toEqual({ deposit: 11, deposit_reversal: 0 });
      expect(await x.balance(id)).toMatchObject({ available: String(total), pending: '0' });
      expect(await x.fixtures.db('utxos').where({ chain: 'ltc', account_id: id })).toHaveLength(11);
      // The same process did it all (no restart of transrv), and is not reported stalled.
      expect(t1.running).toBe(true);
      expect(x.cluster.process('transrv-t1')).toBe(t1);
      expect(await metric(t1, 'wallet_scanner_stalled')).toBe('0');
    } finally {
      await c.stop();
    }
  }, 180_000);
});
