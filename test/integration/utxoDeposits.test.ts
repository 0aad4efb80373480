import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { Litecoind, ltcRpcUrl } from '../harness/litecoind.js';
import { waitFor } from '../harness/waitFor.js';

type Deposit = { id: string; asset: string; txid: string; outputIndex: number; amount: string; status: string; confirmations: number };
type Balance = { asset: string; available: string; frozen: string; pending: string };
type Utxo = { txid: string; vout: number; amount: string; account_id: string; block_hash: string; spent_by_txid: string | null };

const node = new Litecoind();
let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;

async function openAccount(): Promise<string> {
  const acc = await api.post<{ id: string }>('/v1/accounts', { externalId: `ltc-depositor-${Math.random()}` });
  return acc.body.id;
}
async function newAddress(accountId: string): Promise<string> {
  const addr = await api.post<{ address: string }>(`/v1/accounts/${accountId}/addresses`, { chain: 'ltc' });
  expect(addr.status).toBe(201);
  return addr.body.address;
}
const deposits = async (accountId: string) => (await api.get<{ data: Deposit[] }>(`/v1/accounts/${accountId}/deposits`)).body.data;
const balance = async (accountId: string) =>
  (await api.get<{ data: Balance[] }>(`/v1/accounts/${accountId}/balances`)).body.data.find((b) => b.asset === 'LTC') ?? {
    asset: 'LTC',
    available: '0',
    frozen: '0',
    pending: '0',
  };
const depositsOf = (accountId: string, txid: string, status: string, count = 1) =>
  waitFor(`${count} deposit(s) of ${txid} ${status}`, async () => {
    const found = (await deposits(accountId)).filter((d) => d.txid === txid && d.status === status);
    return found.length >= count ? found : undefined;
  });
const utxos = (txid: string) => fixtures.db('utxos').where({ chain: 'ltc', txid }).orderBy('vout').select<Utxo[]>();
/** The ltc scanner's checkpoint has reached the node's tip (so "nothing happened" can be asserted). */
const scannedToTip = async () => {
  const tip = await node.call<string>('getbestblockhash');
  await waitFor('ltc scanned to the tip', async () =>
    (await fixtures.db('chain_blocks').where({ chain: 'ltc', hash: tip }).first()) ? true : undefined,
  );
};

beforeAll(async () => {
  cluster = await Cluster.start({ chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl } });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Litecoin Exchange'));
  // The ltc scanner starts at the node's head: deposits are sent once one transrv leads it.
  await waitFor(
    'an ltc scanner leader',
    async () =>
      [cluster.process('transrv-t1'), cluster.process('transrv-t2')].some((p) =>
        p.lines.some((l) => l.msg === 'scanning as leader' && l['chain'] === 'ltc'),
      ) || undefined,
  );
}, 120_000);

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

describe('Litecoin deposits on the stack litecoind, through the whole cluster', () => {
  it('a deposit is pending at 1 confirmation, then credited once at 2 and recorded in the UTXO set', async () => {
    const id = await openAccount();
    const address = await newAddress(id);
    expect(address).toMatch(/^rltc1q/);
    const txid = await node.sendMany({ [address]: '0.125' });
    const [block] = await node.mine(1);
    const [pending] = await depositsOf(id, txid, 'pending');
    expect(pending).toMatchObject({ asset: 'LTC', amount: '12500000', confirmations: 1 });
    expect(await balance(id)).toMatchObject({ available: '0', pending: '12500000' });
    await node.mine(1);
    const [credited] = await depositsOf(id, txid, 'credited');
    expect(credited!.confirmations).toBeGreaterThanOrEqual(2);
    expect(credited!.outputIndex).toBe(pending!.outputIndex);
    expect(await balance(id)).toMatchObject({ available: '12500000', pending: '0' });
    expect(await utxos(txid)).toEqual([
      expect.objectContaining({ vout: pending!.outputIndex, amount: '12500000', account_id: id, block_hash: block, spent_by_txid: null }),
    ]);
    await node.mine(2);
    await scannedToTip();
    await new Promise((r) => setTimeout(r, 1500)); // settlement runs every 0.5 s: a second credit would show by now
    expect((await deposits(id)).filter((d) => d.status === 'credited')).toHaveLength(1);
    expect((await balance(id)).available).toBe('12500000');
  });

  it('two outputs to us in one transaction are two deposits', async () => {
    const id = await openAccount();
    const [a, b] = [await newAddress(id), await newAddress(id)];
    const other = await node.call<string>('getnewaddress', [], true);
    const txid = await node.sendMany({ [a]: '0.3', [b]: '0.05', [other]: '1' });
    await node.mine(2);
    const credited = await depositsOf(id, txid, 'credited', 2);
    expect(credited.map((d) => d.amount).sort()).toEqual(['30000000', '5000000']);
    expect(new Set(credited.map((d) => d.outputIndex)).size).toBe(2);
    expect((await balance(id)).available).toBe('35000000');
    expect((await utxos(txid)).map((u) => u.vout)).toEqual(credited.map((d) => d.outputIndex).sort());
  });

  it('a deposit reorged away before credit (invalidateblock) is orphaned; after reconsiderblock it is credited once', async () => {
    const id = await openAccount();
    const address = await newAddress(id);
    const txid = await node.sendMany({ [address]: '0.2' });
    const [depositBlock] = await node.mine(1);
    await depositsOf(id, txid, 'pending');
    // A competing block at the same height without the transaction (it went back to the mempool, kept out of blocks).
    await node.exclude(txid, true);
    await node.call('invalidateblock', [depositBlock]);
    const [competing] = await node.mine(1);
    expect(competing).not.toBe(depositBlock);
    await depositsOf(id, txid, 'orphaned');
    await scannedToTip();
    expect(await utxos(txid)).toEqual([]);
    expect(await balance(id)).toMatchObject({ available: '0', pending: '0' });

    // Back: the old block is valid again; whichever branch the node keeps, the transaction is mined once more.
    await node.call('reconsiderblock', [depositBlock]);
    await node.exclude(txid, false);
    await node.mine(2);
    await depositsOf(id, txid, 'credited');
    await node.mine(1);
    await scannedToTip();
    await new Promise((r) => setTimeout(r, 1500));
    const rows = (await deposits(id)).filter((d) => d.txid === txid);
    expect(rows.map((d) => d.status)).toEqual(['credited']);
    expect(await balance(id)).toMatchObject({ available: '20000000', pending: '0' });
    expect(await utxos(txid)).toHaveLength(1);
  });
});
