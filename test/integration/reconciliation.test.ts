import { parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walletctl } from '../harness/clients.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Reconciliation through the whole cluster (issue 16, the tripwire): signsrv compares each asset's liabilities with
// what the chain holds every second. Coins moved out of the hot wallet behind the system's back (anvil_setBalance)
// halt signing of that asset within one pass; the other asset keeps paying; the halted one resumes only after an
// admin releases it. A normal deposit and withdrawal leave the ledger check and reconciliation holding.

let world: WithdrawalWorld;
const ETH = 10n ** 18n;
const HOT_ETH = parseEther('100000'); // what WithdrawalWorld funds the hot wallet with
const TOLERANCE = 10n ** 15n;

type Run = {
  id: string;
  short: number;
  halted: number;
  difference: string;
  deposit: string;
  block_number: string | null;
  liabilities: string;
};
const runs = async (asset: string, afterId = 0): Promise<Run[]> =>
  world.fixtures
    .db('reconciliation_runs')
    .where({ asset })
    .andWhere('id', '>', afterId)
    .orderBy('id')
    .select<Run[]>(
      'id',
      'short',
      'halted',
      'block_number',
      world.fixtures.db.raw('CAST(difference AS CHAR) AS difference'),
      world.fixtures.db.raw('CAST(deposit AS CHAR) AS deposit'),
      world.fixtures.db.raw('CAST(liabilities AS CHAR) AS liabilities'),
    );
const lastRunId = async (): Promise<number> =>
  Number((await world.fixtures.db('reconciliation_runs').max<{ id: number | null }>('id as id').first())?.id ?? 0);
/** The first pass (after `afterId`) that read the chain at `block` or later. */
const passAt = (asset: string, block: number, afterId: number) =>
  waitFor(
    `a ${asset} pass at block ${block}`,
    async () => (await runs(asset, afterId)).find((r) => Number(r.block_number) >= block),
    60_000,
  );
const setHotBalance = async (wei: bigint): Promise<number> => {
  await world.provider.send('anvil_setBalance', [world.hotWallet, `0x${wei.toString(16)}`]);
  await world.mine(1);
  return Number(await world.provider.send('eth_blockNumber', []));
};

beforeAll(async () => {
  world = await WithdrawalWorld.start({
    extraEnv: {
      SIGNSRV_RECONCILE_MS: '1000',
      SIGNSRV_RECONCILE_TOLERANCE: JSON.stringify({ ETH: TOLERANCE.toString() }),
    },
  });
});

afterAll(async () => {
  if (world) {
    expect(await world.fixtures.invariants()).toEqual([]);
    expect((await walletctl(world.cluster, 'ledger', 'check')).code).toBe(0);
    expect((await walletctl(world.cluster, 'treasury', 'check')).code).toBe(0);
  }
  await world?.stop();
});

describe('reconciliation through the cluster', () => {
  it('a deposit and a withdrawal: the ledger check and reconciliation hold, the deposit address counted exactly', async () => {
    const acc = await world.api.post<{ id: string }>('/v1/accounts', { externalId: 'recon-depositor' });
    const { address } = (await world.api.post<{ address: string }>(`/v1/accounts/${acc.body.id}/addresses`, { chain: 'eth' })).body;
    const tx = await world.deployer.sendTransaction({ to: address, value: parseEther('1.5') });
    await waitFor(
      'the deposit credited',
      async () => {
        await world.mine(1); // confirmations need blocks
        const row = await world.fixtures
          .db('deposits')
          .where({ txid: tx.hash, status: 'credited' })
          .first<{ id: string } | undefined>('id');
        return row;
      },
      60_000,
    );
    const res = await world.withdraw(acc.body.id, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '200000000000000000' });
    expect(res.status).toBe(201);
    await world.signsrv.received(res.body.id);
    expect((await world.signsrv.approve(res.body.id)).status).toBe(200);
    await world.waitStatus(res.body.id, 'confirmed');

    const head = await world.scannedHead();
    const pass = await passAt('ETH', head!, await lastRunId());
    expect(pass).toMatchObject({ short: 0, halted: 0 });
    // the deposit address still holds the 1.5 ETH deposited (nothing sweeps it in this cluster)
    expect(BigInt(pass.deposit)).toBe(parseEther('1.5'));
    expect(BigInt(pass.difference)).toBeGreaterThan(0n);
    expect(await world.fixtures.invariants()).toEqual([]);
    const view = await walletctl(world.cluster, 'treasury', '--json');
    expect(view.code).toBe(0);
    const eth = (JSON.parse(view.out.join('\n')) as { asset: string; halted: unknown; lastReconciliation: { short: boolean } }[]).find(
      (r) => r.asset === 'ETH',
    );
    expect(eth).toMatchObject({ halted: null, lastReconciliation: { short: false } });
  });

  it('coins taken from the hot wallet halt ETH signing within one pass; USDT keeps paying; ETH resumes only after release', async () => {
    const ethAcc = await world.fundedAccount({ ETH: 10n * ETH });
    const usdtAcc = await world.fundedAccount({ USDT: 50_000_000n });
    const w = await world.withdraw(ethAcc, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '300000000000000000' });
    expect(w.status).toBe(201);
    await world.signsrv.received(w.body.id);

    // The loss: the hot wallet keeps 1 ETH (gas for token payouts) while users are owed more than 10 ETH.
    const before = await lastRunId();
    const lossBlock = await setHotBalance(ETH);
    const pass = await passAt('ETH', lossBlock, before);
    // the very first pass that read the chain after the loss is short and halts the asset
    expect(pass).toMatchObject({ short: 1, halted: 1 });
    const shortfall = -BigInt(pass.difference);
    expect(shortfall).toBeGreaterThan(TOLERANCE);
    const alarm = await world.fixtures.db('sign_alerts').where({ kind: 'reconciliation_shortfall' }).first<{ details: string }>();
    const details = JSON.parse(alarm.details) as Record<string, unknown>;
    expect(details).toMatchObject({ asset: 'ETH', shortfall: shortfall.toString(), tolerance: TOLERANCE.toString() });
    // walletctl's read-only check sees the same shortfall (exit 1, ETH short; USDT not).
    const checked = await walletctl(world.cluster, 'treasury', 'check', '--json');
    expect(checked.code).toBe(1);
    const assets = (JSON.parse(checked.out.join('\n')) as { assets: { asset: string; short: boolean }[] }).assets;
    expect(assets.find((a) => a.asset === 'ETH')).toMatchObject({ short: true });
    expect(assets.find((a) => a.asset === 'USDT')).toMatchObject({ short: false });
    expect(details['since']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await runs('USDT', before)).every((r) => r.short === 0 && r.halted === 0)).toBe(true);

    // An ETH withdrawal approved now is not signed: approved, its review says signing is halted.
    expect((await world.signsrv.approve(w.body.id)).status).toBe(200);
    await world.waitStatus(w.body.id, 'approved');
    expect((await world.signsrv.review(w.body.id)).body).toMatchObject({ decision: 'approved', signingHalted: true });

    // USDT pays meanwhile, from the same hot wallet.
    const u = await world.withdraw(usdtAcc, { asset: 'USDT', to: WithdrawalWorld.freshAddress(), amount: '1234567' });
    await world.signsrv.received(u.body.id);
    expect((await world.signsrv.approve(u.body.id)).status).toBe(200);
    await world.waitStatus(u.body.id, 'confirmed');

    const table = await walletctl(world.cluster, 'treasury');
    expect(table.code).toBe(1);
    expect(table.out.find((l) => l.startsWith('ETH'))).toMatch(/HALTED by reconciliation \(short \d+ since /);

    // The coins come back: the books hold again, but the halt stays until an admin releases it.
    const refill = await setHotBalance(HOT_ETH);
    const after = await passAt('ETH', refill, Number(pass.id));
    expect(after).toMatchObject({ short: 0, halted: 1 });
    expect(await world.txsOf(w.body.id)).toEqual([]);
    expect((await world.get(w.body.id)).status).toBe('approved');

    await expect(walletctl(world.cluster, 'treasury', 'release', '--asset', 'ETH')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await world.get(w.body.id)).status).toBe('approved');
    const released = await walletctl(world.cluster, 'treasury', 'release', '--asset', 'ETH', '--reason', 'hot wallet refilled');
    expect(released.code).toBe(0);
    await world.waitStatus(w.body.id, 'confirmed');
    const audit = await world.fixtures.db('audit_log').where({ subject: 'ETH' }).orderBy('seq').pluck('action');
    expect(audit).toEqual(['asset_signing_halted', 'asset_signing_released']);

    const history = await walletctl(world.cluster, 'treasury', 'history', '--asset', 'ETH', '--limit', '1000', '--json');
    const kept = JSON.parse(history.out.join('\n')) as { id: string; short: boolean; halted: boolean }[];
    expect(kept.find((r) => r.id === pass.id)).toMatchObject({ short: true, halted: true });
    expect(kept.find((r) => r.id === after.id)).toMatchObject({ short: false, halted: true });
  });
});
