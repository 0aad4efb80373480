import { utxoNetwork } from '@wallet/keys';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UtxoWithdrawalWorld } from '../harness/UtxoWithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Litecoin withdrawals through the whole cluster when they are batched, and when things go wrong: a build whose
// signer died before signing (its locks lapse), a PSBT altered in MySQL, a transaction stuck out of blocks (replaced
// by fee). Real processes, the stack litecoind; signsrv is killed (kill -9 at a crash point) and restarted.

let world: UtxoWithdrawalWorld;
/** The account whose deposits fund the wallet's UTXO set. */
let funder: string;
const FEE = 10_000n; // the dev registry's withdrawalFee for LTC
const net = utxoNetwork('ltc', 'regtest');
/** The world's signsrv policy: batches of up to 10 withdrawals, the first waiting 3 s for others. */
const BATCHING = JSON.stringify({ ltc: { batchWindowMs: 3000, maxOutputs: 10 } });
/** Set by a test that restarted signsrv with its own environment: restored after it. */
let signsrvChanged = false;

type BuildRow = { id: string; status: string; psbt: string; inputs: number; reason: string | null };
/** `address` in newer nodes, `addresses` in Litecoin Core 0.21. */
type VerboseTx = { vout: { n: number; scriptPubKey: { address?: string; addresses?: string[] } }[] };

beforeAll(async () => {
  world = await UtxoWithdrawalWorld.start({ ttlSeconds: 3, extraEnv: { SIGNSRV_UTXO_PAYOUTS: BATCHING } });
  funder = await world.openAccount();
  await world.deposit(funder, '5', '5', '5', '5', '5');
}, 240_000);

afterEach(async () => {
  if (!world) return;
  if (signsrvChanged) {
    await world.restartSignsrv();
    signsrvChanged = false;
  }
  // `walletctl ledger check`: the books balance after every test; no input is locked by a dead build or held twice.
  expect(await world.fixtures.invariants()).toEqual([]);
  expect(await world.lockProblems()).toEqual([]);
});

afterAll(async () => {
  await world?.stop();
});

/** Restarts signsrv with `env` for the rest of the test. */
async function restartSignsrv(env: Record<string, string>): Promise<void> {
  signsrvChanged = true;
  await world.restartSignsrv(env);
}

/** A withdrawal of `amount` litoshi from the funder to a fresh address outside the wallet, received by signsrv. */
async function requested(amount: bigint) {
  const to = await world.freshAddress();
  const res = await world.withdraw(funder, { asset: 'LTC', to, amount: amount.toString() });
  expect(res.status).toBe(201);
  await world.signsrv.received(res.body.id);
  return { id: res.body.id, to, amount };
}

/** The build listing a withdrawal (the one signsrv stored before it died). */
async function buildOf(withdrawalId: string): Promise<BuildRow> {
  const member = await world.fixtures.db('utxo_build_members').where({ withdrawal_id: withdrawalId }).first<{ build_id: string }>();
  return world.fixtures.db('utxo_builds').where({ id: member.build_id }).first<BuildRow>();
}

/**
 * Approves; signsrv dies (kill -9) at the crash point it was started with, in the pass that builds and signs the
 * withdrawal once transrv has applied the approval (the approval's answer may come first, or die with the process).
 */
async function approveIntoCrash(id: string): Promise<void> {
  await world.signsrv.approve(id).catch(() => null);
  await world.cluster.process('signsrv').exited;
}

/** Paid once: a single transaction ever paid the destination, with exactly the approved amount. */
async function expectPaidOnce(w: { to: string; amount: bigint }, txid: string): Promise<void> {
  expect(await world.received(w.to)).toEqual({ amount: w.amount, txids: [txid] });
}

describe('batched Litecoin withdrawals', () => {
  it('5 withdrawals approved together are paid by one transaction: each its own vout and fee share', async () => {
    const before = await world.balance(funder);
    const made = await Promise.all(Array.from({ length: 5 }, (_, i) => requested(20_000_000n + BigInt(i) * 1_111n)));
    const approvals = await Promise.all(made.map((w) => world.signsrv.approve(w.id)));
    expect(approvals.map((a) => a.status)).toEqual(made.map(() => 200));
    const confirmed = [];
    for (const w of made) confirmed.push(await world.waitStatus(w.id, 'confirmed'));

    const txid = confirmed[0]!.txid!;
    expect(confirmed.map((c) => c.txid)).toEqual(made.map(() => txid));
    const tx = await world.transaction(txid);
    const verbose = await world.node.call<VerboseTx>('getrawtransaction', [txid, true]);
    expect(tx.outs).toHaveLength(6); // five payments and our change
    const vouts = new Set<number>();
    for (const [i, w] of made.entries()) {
      const [row] = await world.txsOf(w.id);
      expect(row).toMatchObject({ txid, attempt: 0 });
      expect(confirmed[i]!.outputIndex).toBe(row!.vout);
      const vout = row!.vout!;
      vouts.add(vout);
      expect(tx.outs[vout]!.value).toBe(w.amount);
      const { address, addresses } = verbose.vout[vout]!.scriptPubKey;
      expect(address ?? addresses?.[0]).toBe(w.to);
      expect(confirmed[i]!.networkFee).toBe(row!.network_fee);
      expect(BigInt(confirmed[i]!.networkFee!)).toBeGreaterThan(0n);
      await expectPaidOnce(w, txid);
    }
    expect(vouts.size).toBe(5);
    // The shares add up to what the transaction paid: its inputs (read from the node) minus its outputs.
    const fee = (await world.inputTotal(tx)) - tx.outs.reduce((s, o) => s + o.value, 0n);
    expect(confirmed.reduce((s, c) => s + BigInt(c.networkFee!), 0n)).toBe(fee);
    // The sixth output is change to the wallet's own address, in its UTXO set.
    const change = [0, 1, 2, 3, 4, 5].find((v) => !vouts.has(v))!;
    await waitFor(
      'the change in utxos',
      async () =>
        (await world.fixtures
          .db('utxos')
          .where({ chain: 'ltc', txid, vout: change, account_id: 'sys:chain:ltc:wallet' })
          .first<object | undefined>()) ?? undefined,
    );
    const paid = made.reduce((s, w) => s + w.amount + FEE, 0n);
    expect(await world.balance(funder)).toEqual({ available: before.available - paid, frozen: 0n });
  });
});

describe('Litecoin withdrawals when signsrv fails', () => {
  it('a build never signed lapses: its inputs are released, the withdrawal is built again and paid once', async () => {
    const policy = JSON.stringify({ ltc: { buildLockMs: 2000 } });
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_build', SIGNSRV_UTXO_PAYOUTS: policy });
    const w = await requested(15_000_000n);
    await approveIntoCrash(w.id);

    // Built and committed, its inputs locked by it; nothing signed.
    const build = await buildOf(w.id);
    expect(build.status).toBe('built');
    const locked = (await world.fixtures.db('utxos').where({ locked_by: build.id })) as { txid: string; vout: number }[];
    expect(locked.length).toBeGreaterThan(0);
    expect(locked).toHaveLength(build.inputs);
    expect(await world.txsOf(w.id)).toEqual([]);
    // The lock lapses (MySQL's clock) while nobody can sign.
    await waitFor('the build lock lapsed', async () => {
      const [[r]] = (await world.fixtures.db.raw('SELECT locked_until <= CURRENT_TIMESTAMP(3) AS lapsed FROM utxo_builds WHERE id = ?', [
        build.id,
      ])) as [[{ lapsed: number | string }]];
      return Number(r.lapsed) === 1 ? true : undefined;
    });

    await world.cluster.startSignsrv({ SIGNSRV_UTXO_PAYOUTS: policy });
    const confirmed = await world.waitStatus(w.id, 'confirmed');
    const after = await world.fixtures.db('utxo_builds').where({ id: build.id }).first<BuildRow>();
    expect(after.status).toBe('abandoned');
    expect(await world.fixtures.db('utxos').where({ locked_by: build.id })).toEqual([]);
    const txs = await world.txsOf(w.id);
    expect(txs).toHaveLength(1);
    expect(txs[0]!.build_id).not.toBe(build.id);
    expect(confirmed.txid).toBe(txs[0]!.txid);
    await expectPaidOnce(w, confirmed.txid!);
  });

  it('a PSBT altered in MySQL is refused: psbt_refused, nothing signed from it; rebuilt and paid the approved amount once', async () => {
    const policy = JSON.stringify({ ltc: {} }); // no batching, the default 10-minute build lock
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_build', SIGNSRV_UTXO_PAYOUTS: policy });
    const w = await requested(12_000_000n);
    await approveIntoCrash(w.id);
    const build = await buildOf(w.id);
    expect(build.status).toBe('built');

    // The payment output raised by 1000 litoshi (taken from the fee), everything else as built.
    const psbt = Psbt.fromBase64(build.psbt, { network: net });
    const vout = psbt.txOutputs.findIndex((o) => o.value === w.amount);
    expect(vout).toBeGreaterThanOrEqual(0);
    const tampered = new Psbt({ network: net });
    tampered.setVersion(psbt.version);
    tampered.setLocktime(psbt.locktime);
    for (const [n, i] of psbt.txInputs.entries()) {
      tampered.addInput({
        hash: i.hash,
        index: i.index,
        sequence: i.sequence ?? 0xfffffffd,
        witnessUtxo: psbt.data.inputs[n]!.witnessUtxo!,
      });
    }
    for (const [n, o] of psbt.txOutputs.entries()) tampered.addOutput({ script: o.script, value: n === vout ? o.value + 1_000n : o.value });
    await world.fixtures.db('utxo_builds').where({ id: build.id }).update({ psbt: tampered.toBase64() });

    await world.cluster.startSignsrv({ SIGNSRV_UTXO_PAYOUTS: policy });
    const alarm = await world.waitAlert('psbt_refused', w.id);
    expect(alarm).toMatchObject({ buildId: build.id });
    expect(alarm['problems']).toEqual(expect.arrayContaining(['output_changed']));
    const confirmed = await world.waitStatus(w.id, 'confirmed');
    expect((await world.fixtures.db('utxo_builds').where({ id: build.id }).first<BuildRow>()).status).toBe('abandoned');
    expect(await world.fixtures.db('withdrawal_txs').where({ build_id: build.id })).toEqual([]);
    const txs = await world.txsOf(w.id);
    expect(txs).toHaveLength(1);
    expect(confirmed.txid).toBe(txs[0]!.txid);
    const tx = await world.transaction(confirmed.txid!);
    expect(tx.outs[txs[0]!.vout!]!.value).toBe(w.amount);
    await expectPaidOnce(w, confirmed.txid!);
  });

  it('a stuck transaction is replaced by fee (same inputs, higher rate): one of them is mined, the payment made once', async () => {
    const policy = JSON.stringify({ ltc: {} });
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_sign', SIGNSRV_UTXO_PAYOUTS: policy });
    const w = await requested(11_000_000n);
    await approveIntoCrash(w.id);
    // Signed and stored, never sent: sent here and kept out of every block this node mines.
    const [first] = await world.txsOf(w.id);
    expect(first).toBeDefined();
    expect(await world.confirmations(first!.txid)).toBeNull();
    await world.node.call('sendrawtransaction', [first!.raw]);
    await world.node.exclude(first!.txid, true);
    try {
      await world.cluster.startSignsrv({ SIGNSRV_UTXO_PAYOUTS: policy, SIGNSRV_BUMP_AFTER_MS: '1000' });
      await world.node.mine(2);
      expect(await world.confirmations(first!.txid)).toBe(0);
      const replacement = await waitFor('a replacement signed', async () => (await world.txsOf(w.id))[1]);
      expect(replacement.attempt).toBe(1);
      expect(replacement.fee_rate!).toBeGreaterThan(first!.fee_rate!);
      expect(replacement.build_id).toBe(first!.build_id);
      const ins = (raw: string) =>
        Transaction.fromHex(raw)
          .ins.map((i) => `${Buffer.from(i.hash).toString('hex')}:${i.index}`)
          .sort();
      expect(ins(replacement.raw)).toEqual(ins(first!.raw));
      await world.node.mine(1);
      const confirmed = await world.waitStatus(w.id, 'confirmed');

      const all = await world.txsOf(w.id);
      const mined: typeof all = [];
      for (const t of all) if (((await world.confirmations(t.txid)) ?? 0) >= 1) mined.push(t);
      expect(mined).toHaveLength(1);
      expect(mined[0]!.attempt).toBeGreaterThanOrEqual(1); // a replacement won, not the excluded original
      expect(confirmed.txid).toBe(mined[0]!.txid);
      expect(confirmed.networkFee).toBe(mined[0]!.network_fee);
      const tx = await world.transaction(mined[0]!.txid);
      expect(BigInt(confirmed.networkFee!)).toBe((await world.inputTotal(tx)) - tx.outs.reduce((s, o) => s + o.value, 0n));
      expect(BigInt(confirmed.networkFee!)).toBeGreaterThan(BigInt(first!.network_fee!));
      await expectPaidOnce(w, confirmed.txid!);
    } finally {
      await world.node.exclude(first!.txid, false);
    }
  });
});
