import { type JsonRpcProvider, type Wallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TestToken,
  anvilDeployer,
  anvilProvider,
  deployEtherForwarder,
  deployFalseReturningToken,
  deploySpoofEmitter,
  deployTestToken,
  sendFailingTx,
  mined,
} from '../contracts/deploy.js';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { devRegistryWithToken } from '../harness/devRegistryWithToken.js';
import { waitFor } from '../harness/waitFor.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';

type Deposit = {
  id: string;
  asset: string;
  txid: string;
  outputIndex: number;
  amount: string;
  status: string;
  confirmations: number;
  blockHash: string;
};
type Balance = { asset: string; available: string; frozen: string; pending: string };

let provider: JsonRpcProvider;
let deployer: Wallet;
let usdt: TestToken;
let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;

async function openAccountWithAddress(): Promise<{ id: string; address: string }> {
  const acc = await api.post<{ id: string }>('/v1/accounts', { externalId: `depositor-${Math.random()}` });
  const addr = await api.post<{ address: string }>(`/v1/accounts/${acc.body.id}/addresses`, { chain: 'eth' });
  expect(addr.status).toBe(201);
  return { id: acc.body.id, address: addr.body.address };
}

const deposits = async (accountId: string) => (await api.get<{ data: Deposit[] }>(`/v1/accounts/${accountId}/deposits`)).body.data;
const balance = async (accountId: string, asset: string) =>
  (await api.get<{ data: Balance[] }>(`/v1/accounts/${accountId}/balances`)).body.data.find((b) => b.asset === asset)!;
const mine = (blocks: number) => provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);
const depositOf = (accountId: string, txid: string, status: string) =>
  waitFor(`deposit ${txid} ${status}`, async () => (await deposits(accountId)).find((d) => d.txid === txid && d.status === status));

beforeAll(async () => {
  provider = anvilProvider();
  deployer = anvilDeployer(provider);
  usdt = await deployTestToken(deployer, { name: 'Tether USD', symbol: 'USDT', decimals: 6 });
  await mined(usdt.mint(deployer.address, 10n ** 15n));
  const registry = devRegistryWithToken(await usdt.getAddress());
  cluster = await Cluster.start({ assets: registry });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Depositing Exchange'));
  // One of the two transrv nodes wins the election for chain eth.
  await waitFor(
    'a scanner leader',
    async () =>
      [cluster.process('transrv-t1'), cluster.process('transrv-t2')].some((p) => p.lines.some((l) => l.msg === 'scanning as leader')) ||
      undefined,
  );
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

describe('Ethereum and ERC20 deposits on a real node (anvil)', () => {
  it('an ETH deposit is pending, then credited exactly once at 3 confirmations', async () => {
    const { id, address } = await openAccountWithAddress();
    const tx = await deployer.sendTransaction({ to: address, value: parseEther('1.5') });
    await mined(tx);
    const pending = await depositOf(id, tx.hash, 'pending');
    expect(pending).toMatchObject({ asset: 'ETH', outputIndex: -1, amount: '1500000000000000000', confirmations: 1 });
    expect(await balance(id, 'ETH')).toMatchObject({ available: '0', pending: '1500000000000000000' });
    await mine(2);
    const credited = await depositOf(id, tx.hash, 'credited');
    expect(credited.confirmations).toBeGreaterThanOrEqual(3);
    expect(await balance(id, 'ETH')).toMatchObject({ available: '1500000000000000000', pending: '0' });
    const ledger = await api.get<{ data: { kind: string; refId: string; amount: string }[] }>(`/v1/accounts/${id}/ledger`);
    expect(ledger.body.data).toEqual([expect.objectContaining({ kind: 'deposit', refId: credited.id, amount: '1500000000000000000' })]);
    await mine(3);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await deposits(id)).filter((d) => d.status === 'credited')).toHaveLength(1);
    expect((await balance(id, 'ETH')).available).toBe('1500000000000000000');
  });

  it('an ERC20 deposit of the listed contract is credited with its log index', async () => {
    const { id, address } = await openAccountWithAddress();
    const tx = await usdt.transfer(address, 5_000_000n);
    const receipt = await mined(tx);
    await mine(2);
    const credited = await depositOf(id, tx.hash, 'credited');
    expect(credited).toMatchObject({ asset: 'USDT', amount: '5000000', outputIndex: receipt.logs[0]!.index });
    expect((await balance(id, 'USDT')).available).toBe('5000000');
  });

  it('fake deposits are never credited (failed tx, look-alike token, spoofed log, false-returning token, zero value, internal ETH)', async () => {
    const { id, address } = await openAccountWithAddress();
    const lookAlike = await deployTestToken(deployer, { name: 'Tether USD', symbol: 'USDT', decimals: 6 });
    await mined(lookAlike.mint(deployer.address, 10n ** 12n));
    const spoof = await deploySpoofEmitter(deployer);
    const falseToken = await deployFalseReturningToken(deployer, { name: 'Tether USD', symbol: 'USDT', decimals: 6 });
    const forwarder = await deployEtherForwarder(deployer);

    // 1. A failed token call (more than the sender holds): status 0, no Transfer log.
    const failed = await sendFailingTx(deployer, await usdt.transfer.populateTransaction(address, 10n ** 30n));
    expect(failed.status).toBe(0);
    // 2. The same symbol and name at another address.
    await mined(lookAlike.transfer(address, 7_000_000n));
    // 3. A Transfer event emitted by a contract that is not the listed token (even byte-identical to one).
    await mined(spoof.emitTransfer(deployer.address, address, 8_000_000n));
    await mined(spoof.emitTransferAs(await usdt.getAddress(), deployer.address, address, 9_000_000n));
    // 4. A token whose transfer returns false without moving funds or logging.
    await mined(falseToken.transfer(address, 6_000_000n));
    // Zero-value transfers, of ETH and of the listed token.
    await mined(deployer.sendTransaction({ to: address, value: 0n }));
    await mined(usdt.transfer(address, 0n));
    // Internal ETH transfer through a contract: not detected (a documented limit, see README).
    await mined(forwarder.forward(address, { value: parseEther('0.25') }));
    // A real deposit after all of them: once it is credited, every block above was scanned.
    const sentinel = await deployer.sendTransaction({ to: address, value: 12345n });
    await mined(sentinel);
    await mine(2);
    await depositOf(id, sentinel.hash, 'credited');
    const seen = await deposits(id);
    expect(seen.map((d) => [d.txid, d.asset, d.amount])).toEqual([[sentinel.hash, 'ETH', '12345']]);
    expect(await balance(id, 'USDT')).toMatchObject({ available: '0', pending: '0' });
    expect((await balance(id, 'ETH')).available).toBe('12345');
  });

  it('a deposit whose block is reorged away before credit becomes orphaned', async () => {
    const { id, address } = await openAccountWithAddress();
    const tx = await deployer.sendTransaction({ to: address, value: 777n });
    await mined(tx);
    await depositOf(id, tx.hash, 'pending');
    // Replace the deposit's block with an empty one, then grow the chain past it.
    await provider.send('anvil_reorg', [1, []]);
    await mine(1);
    await depositOf(id, tx.hash, 'orphaned');
    await mine(3);
    await new Promise((r) => setTimeout(r, 1500));
    const final = (await deposits(id)).find((d) => d.txid === tx.hash)!;
    // anvil drops the replaced block's transactions, so it stays orphaned and nothing is credited.
    expect(final.status).toBe('orphaned');
    expect(await balance(id, 'ETH')).toMatchObject({ available: '0', pending: '0' });
  });

  it('a credited deposit whose block is reorged away is reversed with a reversing ledger entry', async () => {
    const { id, address } = await openAccountWithAddress();
    const tx = await deployer.sendTransaction({ to: address, value: 4242n });
    await mined(tx);
    await mine(2);
    const credited = await depositOf(id, tx.hash, 'credited');
    expect((await balance(id, 'ETH')).available).toBe('4242');
    await provider.send('anvil_reorg', [4, []]);
    await mine(1);
    await depositOf(id, tx.hash, 'reversed');
    expect(await balance(id, 'ETH')).toMatchObject({ available: '0', pending: '0' });
    const ledger = await api.get<{ data: { kind: string; refId: string; amount: string }[] }>(`/v1/accounts/${id}/ledger`);
    expect(ledger.body.data.map((e) => [e.kind, e.amount, e.refId])).toEqual([
      ['deposit_reversal', '-4242', credited.id],
      ['deposit', '4242', credited.id],
    ]);
  });

  it('exposes the scanner lag gauge on the leader', async () => {
    const leader = [cluster.process('transrv-t1'), cluster.process('transrv-t2')].find((p) =>
      p.lines.some((l) => l.msg === 'scanning as leader'),
    )!;
    const url = String(leader.lines.find((l) => l.msg === 'metrics ready')!['url']);
    const text = await (await fetch(url)).text();
    // Every series also carries the process's service and instance labels (issue 18).
    expect(text).toMatch(/wallet_scanner_leader\{chain="eth",service="transrv",instance="t[12]"\} 1/);
    expect(text).toMatch(/wallet_scanner_lag_blocks\{chain="eth",service="transrv",instance="t[12]"\} \d+/);
  });
});
