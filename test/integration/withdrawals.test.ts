import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';

let world: WithdrawalWorld;

beforeAll(async () => {
  world = await WithdrawalWorld.start();
});

afterAll(async () => {
  if (world) expect(await world.fixtures.invariants()).toEqual([]);
  await world?.stop();
});

describe('withdrawals end to end on anvil', () => {
  it('ETH: requested, approved, signed, broadcast, confirmed; paid on chain and spent in the ledger', async () => {
    const account = await world.fundedAccount({ ETH: 10n ** 18n });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: '200000000000000000' });
    expect(res.status).toBe(201);
    const id = res.body.id;
    await world.signsrv.received(id);
    const approved = await world.signsrv.approve(id);
    expect(approved.status).toBe(200);
    const confirmed = await world.waitStatus(id, 'confirmed');
    expect(await world.provider.getBalance(to)).toBe(200000000000000000n);
    expect(confirmed.txid).toMatch(/^0x[0-9a-f]{64}$/);
    expect(BigInt(confirmed.networkFee!)).toBeGreaterThan(0n);
    expect(await world.balances(account, 'ETH')).toEqual({ available: 10n ** 18n - 200000000000000000n - 100000000000000n, frozen: 0n });
  });
});
