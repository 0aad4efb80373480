import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { Litecoind, ltcRpcUrl } from '../harness/litecoind.js';
import { waitFor } from '../harness/waitFor.js';

/**
 * Faults of the UTXO deposit path on the stack's litecoind, through the whole cluster: reorgs after credit (1 and 10
 * blocks deep, with invalidateblock, a competing branch mined without the deposit kept out by prioritisetransaction),
 * a double-spend of an unconfirmed deposit, a rescan from a start height, kill -9 mid-catch-up and the node
 * unreachable. The node is shared with other tests: it is never stopped, only forked.
 */

type Deposit = { id: string; asset: string; txid: string; outputIndex: number; amount: string; status: string; confirmations: number };
type Balance = { asset: string; available: string; frozen: string; pending: string };

const node = new Litecoind();

/** A cluster scanning ltc on the stack's litecoind, with one client's API. */
class LtcWorld {
  private constructor(
    readonly cluster: Cluster,
    readonly fixtures: LedgerFixtures,
    readonly api: ApiClient,
  ) {}

  static async start(options: Parameters<typeof Cluster.start>[0] = {}): Promise<LtcWorld> {
    const cluster = await Cluster.start({ chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl }, ...options });
    const fixtures = new LedgerFixtures(cluster.database);
    const api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, `Litecoin Faults ${cluster.env}`));
    const world = new LtcWorld(cluster, fixtures, api);
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
    const tip = await node.call<string>('getbestblockhash');
    await waitFor(
      'ltc scanned to the tip',
      async () => ((await this.fixtures.db('chain_blocks').where({ chain: 'ltc', hash: tip }).first()) ? true : undefined),
      timeoutMs,
    );
    await new Promise((r) => setTimeout(r, 1500)); // settlement runs every 0.5 s: a second credit would show by now
  }

  /** The account's deposit ledger: credits and reversals (journal lines of the account). */
  async ledger(accountId: string): Promise<{ deposit: number; deposit_reversal: number }> {
    const rows = await this.fixtures
      .db('journal')
      .where({ account_id: accountId })
      .select<{ kind: string; n: string }[]>('kind')
      .count({ n: '*' })
      .groupBy('kind');
    const of = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
    return { deposit: of('deposit'), deposit_reversal: of('deposit_reversal') };
  }

  async stop(): Promise<void> {
    expect(await this.fixtures.invariants()).toEqual([]);
    await this.fixtures.close();
    await this.cluster.stop();
  }
}

/**
 * Pays `amounts` from the miner wallet with coins of at least 200 confirmations: a reorg of a few blocks cannot make
 * its inputs immature coinbases (which would drop it from the mempool instead of bringing it back).
 */
async function pay(amounts: Record<string, string>): Promise<string> {
  const unspent = await node.call<{ txid: string; vout: number; amount: number; spendable: boolean }[]>('listunspent', [200], true);
  const need = Object.values(amounts).reduce((s, v) => s + Number(v), 0) + 0.01;
  const coin = unspent.find((u) => u.spendable && u.amount > need);
  if (!coin) throw new Error('the miner wallet has no coin of 200 confirmations big enough');
  const outputs = Object.fromEntries(Object.entries(amounts).map(([a, v]) => [a, Number(v)]));
  const funded = await node.call<{ psbt: string }>(
    'walletcreatefundedpsbt',
    [[{ txid: coin.txid, vout: coin.vout }], outputs, 0, { add_inputs: false, replaceable: true }],
    true,
  );
  const signed = await node.call<{ psbt: string; complete: boolean }>('walletprocesspsbt', [funded.psbt], true);
  const final = await node.call<{ hex: string; complete: boolean }>('finalizepsbt', [signed.psbt]);
  expect(final.complete).toBe(true);
  return node.call<string>('sendrawtransaction', [final.hex]);
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
});
