import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UtxoWithdrawalWorld } from '../harness/UtxoWithdrawalWorld.js';

let world: UtxoWithdrawalWorld;
/** The account whose deposits fund the wallet's UTXO set. */
let funder: string;

beforeAll(async () => {
  world = await UtxoWithdrawalWorld.start();
  funder = await world.openAccount();
  await world.deposit(funder, '5', '5', '5');
}, 240_000);

afterAll(async () => {
  if (world) {
    expect(await world.fixtures.invariants()).toEqual([]);
    await world.stop();
  }
});

describe('Litecoin withdrawals through the whole cluster (stack litecoind)', () => {
  it('approved, signed, mined, confirmed: exactly the approved output and change to our own address; fee booked', async () => {
    const to = await world.freshAddress();
    const res = await world.withdraw(funder, { asset: 'LTC', to, amount: '30000000' });
    expect(res.status).toBe(201);
    const id = res.body.id;
    await world.signsrv.received(id);
    expect((await world.signsrv.approve(id)).status).toBe(200);
    const confirmed = await world.waitStatus(id, 'confirmed');
    expect(confirmed.txid).toMatch(/^[0-9a-f]{64}$/);
    const tx = await world.transaction(confirmed.txid!);
    const stored = await world.fixtures.db('withdrawal_txs').where({ withdrawal_id: id }).first<{ vout: number; network_fee: string }>();
    const out = tx.outs[stored.vout]!;
    expect(out.value).toBe(30_000_000n);
    expect(tx.outs).toHaveLength(2);
    const change = tx.outs.find((_, i) => i !== stored.vout)!;
    const changeRow = await world.fixtures
      .db('utxos')
      .where({ chain: 'ltc', txid: confirmed.txid, vout: tx.outs.indexOf(change) })
      .first();
    expect(changeRow).toMatchObject({ account_id: 'sys:chain:ltc:wallet' });
    expect(confirmed.networkFee).toBe(stored.network_fee);
  });
});
