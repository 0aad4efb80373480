import { Transaction } from 'bitcoinjs-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UtxoWithdrawalWorld } from '../harness/UtxoWithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Litecoin withdrawals through the whole cluster on the stack litecoind, paid one withdrawal per transaction (no
// batching: signsrv's default policy).

let world: UtxoWithdrawalWorld;
/** The account whose deposits fund the wallet's UTXO set. */
let funder: string;
const FEE = 10_000n; // the dev registry's withdrawalFee for LTC

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  world = await UtxoWithdrawalWorld.start();
  funder = await world.openAccount();
  await world.deposit(funder, '5', '5', '5');
}, 240_000);

afterEach(async () => {
  if (!world) return;
  // `walletctl ledger check`: the books balance after every test; no input is locked by a dead build or held twice.
  expect(await world.fixtures.invariants()).toEqual([]);
  expect(await world.lockProblems()).toEqual([]);
});

afterAll(async () => {
  try {
    // Each log line writes each key once (a child logger's `chain` was repeated by the line: issue 18).
    if (world) expect(world.cluster.duplicateKeyLines()).toEqual([]);
  } finally {
    await world?.stop();
  }
});

/** The journal's withdrawal_release lines booked for a withdrawal (one release: two lines, frozen -> available). */
async function releaseLines(id: string): Promise<number> {
  const [[row]] = (await world.fixtures.db.raw("SELECT COUNT(*) AS n FROM journal WHERE ref_id = ? AND kind = 'withdrawal_release'", [
    id,
  ])) as [[{ n: number | string }]];
  return Number(row.n);
}

/** `txid:vout` of each input of a transaction. */
const outpoints = (tx: Transaction) => tx.ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`);

/** Nothing was built or signed for a withdrawal: no build lists it, no transaction pays it. */
async function expectNothingBuilt(id: string): Promise<void> {
  expect(await world.fixtures.db('utxo_build_members').where({ withdrawal_id: id })).toEqual([]);
  expect(await world.txsOf(id)).toEqual([]);
}

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

  it('rejected: amount and fee released exactly once; nothing is built or signed', async () => {
    const account = await world.openAccount();
    await world.fixtures.fund(account, 'LTC', 100_000_000n, 'ltc');
    const res = await world.withdraw(account, { asset: 'LTC', to: await world.freshAddress(), amount: '20000000' });
    expect(res.status).toBe(201);
    const id = res.body.id;
    expect(await world.balance(account)).toEqual({ available: 100_000_000n - 20_000_000n - FEE, frozen: 20_000_000n + FEE });
    await world.signsrv.received(id);
    const rejected = await world.signsrv.reject(id, 'destination under review');
    expect(rejected.status).toBe(200);
    expect((await world.waitStatus(id, 'rejected')).reason).toBe('destination under review');
    expect(await world.balance(account)).toEqual({ available: 100_000_000n, frozen: 0n });
    expect((await world.signsrv.approve(id)).body.error?.code).toBe('WITHDRAWAL_NOT_REVIEWABLE');
    expect((await world.cancel(id)).body.error?.code).toBe('WITHDRAWAL_NOT_CANCELLABLE');
    await sleep(2500); // signsrv's reports are re-sent (every second here): a re-sent rejection must not release twice
    expect(await world.balance(account)).toEqual({ available: 100_000_000n, frozen: 0n });
    expect(await releaseLines(id)).toBe(2);
    await expectNothingBuilt(id);
  });

  it('cancelled before review: released exactly once; it can no longer be approved; nothing is built or signed', async () => {
    const account = await world.openAccount();
    await world.fixtures.fund(account, 'LTC', 100_000_000n, 'ltc');
    const res = await world.withdraw(account, { asset: 'LTC', to: await world.freshAddress(), amount: '20000000' });
    expect(res.status).toBe(201);
    const id = res.body.id;
    await world.signsrv.received(id);
    const cancelled = await world.cancel(id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await world.balance(account)).toEqual({ available: 100_000_000n, frozen: 0n });
    // signsrv learns of the cancellation through the stream: an approval is refused once it has.
    await sleep(1000);
    const late = await world.signsrv.approve(id);
    expect(['WITHDRAWAL_NOT_REVIEWABLE', 'NOT_FOUND']).toContain(late.body.error?.code);
    expect((await world.cancel(id)).body.error?.code).toBe('WITHDRAWAL_NOT_CANCELLABLE');
    await sleep(2500);
    expect((await world.get(id)).status).toBe('cancelled');
    expect(await world.balance(account)).toEqual({ available: 100_000_000n, frozen: 0n });
    expect(await releaseLines(id)).toBe(2);
    await expectNothingBuilt(id);
  });

  it('50 withdrawals approved at once never share an input; all confirm, each paid exactly once', async () => {
    await world.deposit(funder, ...Array<string>(60).fill('1'));
    const before = await world.balance(funder);
    // Destinations first, one at a time (the node's RPC work queue is short); then 50 requests at once.
    const destinations: string[] = [];
    for (let i = 0; i < 50; i++) destinations.push(await world.freshAddress());
    const made = await Promise.all(
      destinations.map(async (to, i) => {
        const amount = 10_000_000n + BigInt(i) * 1_000n;
        const res = await world.withdraw(funder, { asset: 'LTC', to, amount: amount.toString() });
        expect(res.status).toBe(201);
        return { id: res.body.id, to, amount };
      }),
    );
    for (const w of made) await world.signsrv.received(w.id);
    const approvals = await Promise.all(made.map((w) => world.signsrv.approve(w.id)));
    expect(approvals.map((a) => a.status)).toEqual(made.map(() => 200));

    // Every signed transaction as stored (first attempts: a fee bump legitimately re-spends its original's inputs).
    const ids = made.map((w) => w.id);
    const firsts = await waitFor(
      'every withdrawal signed',
      async () => {
        const rows = (await world.fixtures.db('withdrawal_txs').whereIn('withdrawal_id', ids).where({ attempt: 0 })) as {
          txid: string;
          raw: string;
        }[];
        return rows.length === ids.length ? rows : undefined;
      },
      120_000,
    );
    expect(new Set(firsts.map((r) => r.txid)).size).toBe(50);
    const spentBy = new Map<string, string>();
    for (const row of firsts) {
      for (const outpoint of outpoints(Transaction.fromHex(row.raw))) {
        expect(spentBy.get(outpoint), `${outpoint} spent by ${row.txid} and ${spentBy.get(outpoint)}`).toBeUndefined();
        spentBy.set(outpoint, row.txid);
      }
    }

    const minedInputs = new Set<string>();
    for (const w of made) {
      const confirmed = await world.waitStatus(w.id, 'confirmed', 180_000);
      for (const outpoint of outpoints(await world.transaction(confirmed.txid!))) {
        expect(minedInputs.has(outpoint), outpoint).toBe(false);
        minedInputs.add(outpoint);
      }
      // Paid once: one transaction ever paid the destination, with exactly the approved amount.
      expect(await world.received(w.to)).toEqual({ amount: w.amount, txids: [confirmed.txid] });
    }
    // The funder paid 50 amounts and 50 fees, each once; nothing is left frozen.
    const paid = made.reduce((s, w) => s + w.amount + FEE, 0n);
    expect(await world.balance(funder)).toEqual({ available: before.available - paid, frozen: 0n });
  }, 400_000);
});
