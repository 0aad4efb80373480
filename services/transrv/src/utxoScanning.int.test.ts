import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type UtxoAdapter, createChainAdapter, isUtxoAdapter } from '@wallet/chains';
import { type Db } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { ChainScanner, HotWallets, WatchedAddresses } from '@wallet/scanner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@wallet/testkit';

// The stack's litecoind (deploy/local/stack.sh): regtest, its `miner` wallet funded. The wallet's "own" addresses here
// are the miner wallet's, registered in wallet_addresses: the miner can then spend exactly those outputs, as signsrv
// would spend ours.
const rpcUrl = process.env['LTC_RPC_URL'] ?? 'http://wallet:wallet@127.0.0.1:19443';
const minerWallet = process.env['LTC_MINER_WALLET'] ?? 'miner';
const registry = AssetRegistry.parse(devRegistryInput);
const log = createLogger('test', { level: 'silent' });

let rpcId = 0;
async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const url = new URL(rpcUrl);
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  url.pathname = `/wallet/${minerWallet}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
    body: JSON.stringify({ jsonrpc: '1.0', id: ++rpcId, method, params }),
  });
  const body = (await response.json()) as { result: T; error: { message: string } | null };
  if (body.error) throw new Error(`litecoind ${method}: ${body.error.message}`);
  return body.result;
}

const newAddress = () => rpc<string>('getnewaddress', ['', 'bech32']);

/** The output of `txid` paying `address`. */
async function voutOf(txid: string, address: string): Promise<{ vout: number; value: number }> {
  const tx = await rpc<{ vout: { n: number; value: number; scriptPubKey: { address?: string; addresses?: string[] } }[] }>(
    'getrawtransaction',
    [txid, true],
  );
  // litecoind answers `addresses` (a list) where newer nodes answer `address`
  const output = tx.vout.find((o) => (o.scriptPubKey.address ?? o.scriptPubKey.addresses?.[0]) === address);
  if (!output) throw new Error(`${txid} pays nothing to ${address}`);
  return { vout: output.n, value: output.value };
}

/** Has the miner wallet spend exactly one outpoint (nothing else) to a fresh address of its own. @returns the txid */
async function spendExactly(txid: string, vout: number, value: number): Promise<string> {
  const to = await newAddress();
  const raw = await rpc<string>('createrawtransaction', [[{ txid, vout }], { [to]: Number((value - 0.0001).toFixed(8)) }]);
  const signed = await rpc<{ hex: string; complete: boolean }>('signrawtransactionwithwallet', [raw]);
  expect(signed.complete).toBe(true);
  return rpc<string>('sendrawtransaction', [signed.hex]);
}

let db: Db;
let drop: () => Promise<void>;
let adapter: UtxoAdapter;
let scanner: ChainScanner;

async function mineAndScan(): Promise<void> {
  await rpc('generatetoaddress', [1, await newAddress()]);
  for (let i = 0; i < 20; i++) if ((await scanner.scan(64)).kind === 'idle') return;
}

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('clients').insert({ id: 'c1', name: 'c', key_id: 'k1', secret: 's' });
  await db('accounts').insert({ id: 'acc', client_id: 'c1', external_id: 'acc', node_id: 't1' });
  const created = await createChainAdapter({ chain: registry.chain('ltc'), assets: [registry.asset('LTC')], rpcUrl });
  if (!isUtxoAdapter(created)) throw new Error('ltc is a UTXO chain');
  adapter = created;
  const canonical = (a: string): string => adapter.canonicalAddress(a);
  scanner = new ChainScanner({
    db,
    chain: 'ltc',
    source: adapter,
    watched: new WatchedAddresses(db, 'ltc', canonical, adapter.createAddressIndex?.()),
    fence: { chain: 'ltc', token: 1n, holder: 'test' },
    log,
    startHeight: (await adapter.head()).number + 1,
    hotWallets: new HotWallets(db, 'ltc', canonical, async (txids) => txids.map(() => null)),
  });
});

afterAll(async () => {
  await adapter?.close();
  await drop?.();
});

describe('the ltc scanner and the wallet’s own outputs on the stack litecoind', () => {
  it('change outputs join utxos as the wallet’s, never deposits; spending them is an observation matched to its withdrawal, or the unknown-spend alarm', async () => {
    const deposit = await newAddress();
    const change = await newAddress();
    const change2 = await newAddress();
    await db('addresses').insert({ chain: 'ltc', address: deposit, derivation_index: 0, path: 'm', account_id: 'acc', client_id: 'c1' });
    await db('wallet_addresses').insert([
      { chain: 'ltc', address: change, branch: 1, derivation_index: 0, role: 'consolidation' },
      { chain: 'ltc', address: change2, branch: 1, derivation_index: 1, role: 'change' },
    ]);
    const funding = await rpc<string>('sendmany', ['', { [deposit]: 0.1, [change]: 0.3, [change2]: 0.2 }]);
    await mineAndScan();

    const utxos = await db('utxos')
      .where({ chain: 'ltc', txid: funding })
      .orderBy('amount')
      .select<{ amount: string; account_id: string }[]>('amount', 'account_id');
    expect(utxos).toEqual([
      { amount: '10000000', account_id: 'acc' },
      { amount: '20000000', account_id: 'sys:chain:ltc:wallet' },
      { amount: '30000000', account_id: 'sys:chain:ltc:wallet' },
    ]);
    expect(await db('deposits').where({ chain: 'ltc' }).select('txid', 'address', 'amount')).toEqual([
      { txid: funding, address: deposit, amount: '10000000' },
    ]);

    // signsrv's transaction (stored in withdrawal_txs before it is sent) spends the first change output; another
    // transaction, which signsrv never made, spends the second.
    const first = await voutOf(funding, change);
    const paid = await spendExactly(funding, first.vout, first.value);
    await db('withdrawal_txs').insert({
      chain: 'ltc',
      txid: paid,
      withdrawal_id: 'wd_ltc1',
      attempt: 0,
      from_address: '',
      raw: '00',
      vout: 0,
      network_fee: '10000',
    });
    const second = await voutOf(funding, change2);
    const rogue = await spendExactly(funding, second.vout, second.value);
    await mineAndScan();

    expect(
      await db('utxos')
        .where({ chain: 'ltc', txid: funding })
        .orderBy('vout')
        .select<{ vout: number; spent_by_txid: string | null }[]>('vout', 'spent_by_txid'),
    ).toEqual(
      [
        { vout: (await voutOf(funding, deposit)).vout, spent_by_txid: null },
        { vout: first.vout, spent_by_txid: paid },
        { vout: second.vout, spent_by_txid: rogue },
      ].sort((a, b) => a.vout - b.vout),
    );
    const observations = await db('withdrawal_observations')
      .where({ chain: 'ltc' })
      .select<{ txid: string; withdrawal_id: string | null; status: string; fee: string; from_address: string }[]>(
        'txid',
        'withdrawal_id',
        'status',
        'fee',
        'from_address',
      );
    expect(observations.sort((a, b) => a.txid.localeCompare(b.txid))).toEqual(
      [
        { txid: paid, withdrawal_id: 'wd_ltc1', status: 'success', fee: '10000', from_address: '' },
        { txid: rogue, withdrawal_id: null, status: 'success', fee: '0', from_address: '' },
      ].sort((a, b) => a.txid.localeCompare(b.txid)),
    );
    const alarms = (await db('node_alerts').where({ kind: 'unknown_hot_wallet_tx' }).pluck<string[]>('details')).map(
      (d) => JSON.parse(d) as { txid: string; spent: string[] },
    );
    expect(alarms).toEqual([expect.objectContaining({ txid: rogue, spent: [`${funding}:${second.vout}`] })]);
  });
});
