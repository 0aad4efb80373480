import { HDNodeWallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mined } from '../contracts/deploy.js';
import { walletctl } from '../harness/clients.js';
import { waitFor } from '../harness/waitFor.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';

// EVM sweeps through the whole cluster on the stack's anvil: deposits credited by transrv's scanner, swept by
// signsrv's sweep job into the hot wallet (a token sweep after a confirmed gas top-up from the fee wallet), the
// network fees booked to the exchange, no user's balance moved by any of it.

let world: WithdrawalWorld;
let feeWallet: string;
const ETH_THRESHOLD = 10n ** 16n;
const USDT_THRESHOLD = 1_000_000n;

type SweepRow = {
  id: string;
  address: string;
  asset: string;
  status: string;
  amount: string;
  topup_txid: string | null;
  topup_fee: string | null;
  topup_block: string | number | null;
  sweep_txid: string | null;
  sweep_fee: string | null;
  sweep_block: string | number | null;
  leftover_native: string | null;
};

const sweepsOf = async (address: string): Promise<SweepRow[]> =>
  world.fixtures.db('sweeps').where({ address: address.toLowerCase() }).orderBy('id');
const sleep = (ms: number) => new Promise<false>((resolve) => setTimeout(() => resolve(false), ms));
const mineOne = () => world.provider.send('anvil_mine', ['0x1']);

/** Polls `probe`, mining a block between polls (deposits and sweeps need confirmations). */
function mining<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return waitFor(
    what,
    async () => {
      const value = await probe();
      if (value === undefined) await mineOne();
      return value;
    },
    timeoutMs,
  );
}

/** A new account of the exchange with an eth deposit address. */
async function depositor(): Promise<{ id: string; address: string }> {
  const account = await world.fundedAccount({});
  const res = await world.api.post<{ address: string }>(`/v1/accounts/${account}/addresses`, { chain: 'eth' });
  expect(res.status).toBe(201);
  return { id: account, address: res.body.address };
}

async function credited(accountId: string, asset: string): Promise<bigint> {
  const [[row]] = (await world.fixtures.db.raw(
    "SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM deposits WHERE account_id = ? AND asset = ? AND status = 'credited'",
    [accountId, asset],
  )) as [[{ s: string }]];
  return BigInt(row.s);
}

async function feeBooked(sweepId: string): Promise<bigint> {
  const [[row]] = (await world.fixtures.db.raw(
    "SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM journal WHERE entry_id = ? AND account_id = 'sys:chain:eth:network_fees'",
    [`${sweepId}:fee`],
  )) as [[{ s: string }]];
  return BigInt(row.s);
}

beforeAll(async () => {
  world = await WithdrawalWorld.start({
    extraEnv: {
      SIGNSRV_SWEEPS: JSON.stringify({
        eth: { thresholds: { ETH: ETH_THRESHOLD.toString(), USDT: USDT_THRESHOLD.toString() }, maxInFlight: 5, intervalMs: 300 },
      }),
      SIGNSRV_REBROADCAST_MS: '2000',
    },
  });
  // The fee wallet signsrv derives (m/44'/60'/2'/0/0) pays the gas top-ups: operators fund it.
  feeWallet = HDNodeWallet.fromPhrase(world.mnemonic, undefined, "m/44'/60'/2'/0/0").address;
  await world.provider.send('anvil_setBalance', [feeWallet, `0x${parseEther('10').toString(16)}`]);
}, 180_000);

afterAll(async () => {
  if (world) {
    expect(await world.fixtures.invariants()).toEqual([]);
    const check = await walletctl(world.cluster, 'ledger', 'check');
    expect(check.code).toBe(0);
    expect(check.out[0]).toBe('ledger invariants hold');
    // The books against the chain now, as a reconciliation pass measures them: no asset short.
    const measured = await walletctl(world.cluster, 'treasury', 'check');
    expect(measured.code, measured.out.join('\n')).toBe(0);
    // Each log line writes each key once (a child logger's `chain` was repeated by the line: issue 18).
    expect(world.cluster.duplicateKeyLines()).toEqual([]);
  }
  await world?.stop();
});

describe('EVM sweeps through the cluster (anvil)', () => {
  it('ETH deposits on 20 addresses are swept into the hot wallet once each; the users keep their balances; the fees are the exchange’s', async () => {
    const depositors: { id: string; address: string }[] = [];
    for (let i = 0; i < 20; i++) depositors.push(await depositor());
    const hotBefore = await world.provider.getBalance(world.hotWallet);
    const amounts = depositors.map((_, i) => parseEther('0.05') + BigInt(i) * 1_000_003n);
    for (const [i, d] of depositors.entries()) await mined(world.deployer.sendTransaction({ to: d.address, value: amounts[i]! }));
    for (const [i, d] of depositors.entries()) {
      await mining(`deposit ${i} credited`, async () => ((await credited(d.id, 'ETH')) === amounts[i] ? true : undefined));
    }

    const rows = await mining('20 sweeps confirmed', async () => {
      const all = await Promise.all(depositors.map(async (d) => sweepsOf(d.address)));
      return all.every((r) => r.length === 1 && r[0]!.status === 'confirmed') ? all.map((r) => r[0]!) : undefined;
    });
    let fees = 0n;
    for (const [i, d] of depositors.entries()) {
      const row = rows[i]!;
      expect(row).toMatchObject({ asset: 'ETH', topup_txid: null, leftover_native: '0' });
      expect(BigInt(row.amount) + BigInt(row.sweep_fee!)).toBe(amounts[i]);
      expect(await world.provider.getBalance(d.address)).toBe(0n);
      // One transaction ever sent from the deposit address: swept once.
      expect(await world.provider.getTransactionCount(d.address, 'latest')).toBe(1);
      // No user's balance changed: the deposit stays credited in full.
      expect(await world.balances(d.id, 'ETH')).toEqual({ available: amounts[i], frozen: 0n });
      fees += BigInt(row.sweep_fee!);
      await mining(`fee of ${row.id} booked`, async () => ((await feeBooked(row.id)) === BigInt(row.sweep_fee!) ? true : undefined));
    }
    const total = amounts.reduce((s, a) => s + a, 0n);
    expect((await world.provider.getBalance(world.hotWallet)) - hotBefore).toBe(total - fees);
    // Later passes plan nothing more: still one sweep per address.
    for (let i = 0; i < 5; i++) await mineOne();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const d of depositors) expect(await sweepsOf(d.address)).toHaveLength(1);
  });

  it('an ERC20 deposit is swept after a gas top-up whose receipt was confirmed first; the top-up is not a deposit; leftover gas recorded', async () => {
    const d = await depositor();
    const hotUsdtBefore = await world.usdt.balanceOf(world.hotWallet);
    await mined(world.usdt.mint(d.address, 25_000_000n));
    await mining('USDT deposit credited', async () => ((await credited(d.id, 'USDT')) === 25_000_000n ? true : undefined));

    const [row] = await mining('the token sweep confirmed', async () => {
      const r = await sweepsOf(d.address);
      return r.length === 1 && r[0]!.status === 'confirmed' ? r : undefined;
    });
    expect(row!.topup_txid).toMatch(/^0x[0-9a-f]{64}$/);
    const topup = (await world.provider.getTransactionReceipt(row!.topup_txid!))!;
    const sweep = (await world.provider.getTransactionReceipt(row!.sweep_txid!))!;
    // The dev registry's ETH needs 3 confirmations: the sweep was mined at least 3 blocks after its top-up.
    expect(sweep.blockNumber - topup.blockNumber).toBeGreaterThanOrEqual(3);
    expect(BigInt(row!.topup_fee!)).toBe(topup.gasUsed * topup.gasPrice);
    expect(await world.usdt.balanceOf(d.address)).toBe(0n);
    expect((await world.usdt.balanceOf(world.hotWallet)) - hotUsdtBefore).toBe(25_000_000n);
    expect(BigInt(row!.leftover_native!)).toBe(await world.provider.getBalance(d.address));
    // The top-up's ETH reached the deposit address but is the wallet's own gas: nothing credited, no balance moved.
    await mining('the scanner past the sweep', async () => ((await world.scannedHead()) ?? 0) >= sweep.blockNumber + 3 || undefined);
    expect(await world.fixtures.db('deposits').where({ txid: row!.topup_txid })).toHaveLength(0);
    expect(await world.balances(d.id, 'ETH')).toEqual({ available: 0n, frozen: 0n });
    expect(await world.balances(d.id, 'USDT')).toEqual({ available: 25_000_000n, frozen: 0n });
    await mining('the sweep fees booked', async () =>
      (await feeBooked(row!.id)) === BigInt(row!.topup_fee!) + BigInt(row!.sweep_fee!) ? true : undefined,
    );
  });

  for (const point of ['signsrv.sweep_topup_sent', 'signsrv.sweep_signed']) {
    it(`kill -9 of signsrv at ${point} (between the top-up and the token sweep): one top-up, one sweep, no gas lost`, async () => {
      await world.cluster.process('signsrv').stop('SIGKILL');
      const crashing = await world.cluster.startSignsrv({ WALLET_CRASH_POINTS: point });
      const d = await depositor();
      const hotUsdtBefore = await world.usdt.balanceOf(world.hotWallet);
      const feeNonce = await world.provider.getTransactionCount(feeWallet, 'latest');
      await mined(world.usdt.mint(d.address, 3_000_000n));
      await mining('USDT deposit credited', async () => ((await credited(d.id, 'USDT')) === 3_000_000n ? true : undefined));
      // signsrv SIGKILLs itself at the point: no cleanup, nothing after it in that step ran.
      await mining(
        `signsrv killed at ${point}`,
        async () => (await Promise.race([crashing.exited.then(() => true), sleep(50)])) || undefined,
      );
      expect(await sweepsOf(d.address)).toMatchObject([{ status: point === 'signsrv.sweep_signed' ? 'signed' : 'planned' }]);
      await world.cluster.startSignsrv();

      const [row] = await mining('the token sweep confirmed after the restart', async () => {
        const r = await sweepsOf(d.address);
        return r.length === 1 && r[0]!.status === 'confirmed' ? r : undefined;
      });
      expect(await sweepsOf(d.address)).toHaveLength(1);
      // One top-up from the fee wallet, one transaction from the deposit address: nothing twice.
      expect(await world.provider.getTransactionCount(feeWallet, 'latest')).toBe(feeNonce + 1);
      expect(await world.provider.getTransactionCount(d.address, 'latest')).toBe(1);
      const topup = (await world.provider.getTransactionReceipt(row!.topup_txid!))!;
      const sweep = (await world.provider.getTransactionReceipt(row!.sweep_txid!))!;
      expect(sweep.blockNumber - topup.blockNumber).toBeGreaterThanOrEqual(3);
      expect((await world.usdt.balanceOf(world.hotWallet)) - hotUsdtBefore).toBe(3_000_000n);
      // No gas lost: what the top-up brought and the sweep did not burn is on the address, and on the row.
      expect(BigInt(row!.leftover_native!)).toBe(await world.provider.getBalance(d.address));
      expect(await world.balances(d.id, 'ETH')).toEqual({ available: 0n, frozen: 0n });
      expect(await world.balances(d.id, 'USDT')).toEqual({ available: 3_000_000n, frozen: 0n });
    });
  }
});
