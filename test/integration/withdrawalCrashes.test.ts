import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockoutKeys } from '@wallet/withdrawal-protocol';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Crash points: kill -9 (the process SIGKILLs itself at the named place: no cleanup, no flush, no rollback beyond
// what MySQL does for an open transaction) at each step of the pipeline where a crash could lose or double money,
// then a restart. One transrv node, so the crash points hit the node that owns the withdrawals.

let world: WithdrawalWorld;
const ETH = 10n ** 18n;
const FEE = 100000000000000n;
const AMOUNT = 10n ** 16n;

const terminal = ['confirmed', 'rejected', 'cancelled', 'failed'];

beforeAll(async () => {
  world = await WithdrawalWorld.start({ transrvNodes: ['t1'], ttlSeconds: 3 });
});

afterAll(async () => {
  if (world) {
    // Every withdrawal ended in exactly one terminal status, no withdrawal had more than one transaction mined,
    // and the books balance.
    const rows = await world.fixtures.db('withdrawals').select<{ id: string; status: string }[]>('id', 'status');
    for (const r of rows) {
      expect(terminal, r.id).toContain(r.status);
      const ends = await world.fixtures.db('withdrawal_events').where({ withdrawal_id: r.id }).whereIn('to_status', terminal);
      expect(ends, r.id).toHaveLength(1);
      expect(await world.minedTxCount(r.id), r.id).toBeLessThanOrEqual(1);
    }
    expect(await world.fixtures.invariants()).toEqual([]);
  }
  await world?.stop();
});

async function restartTransrv(crashPoints = ''): Promise<void> {
  await world.cluster.process('transrv-t1').stop('SIGKILL');
  await world.cluster.startTransrv('t1', { WALLET_CRASH_POINTS: crashPoints });
}

async function restartSignsrv(env: Record<string, string> = {}): Promise<void> {
  await world.cluster.process('signsrv').stop('SIGKILL');
  await world.cluster.startSignsrv(env);
}

/** Approves, then waits until the withdrawal is confirmed and checks it was paid exactly once. */
async function approveAndConfirm(id: string, to: string, account: string, funded: bigint): Promise<void> {
  await world.signsrv.received(id);
  expect((await world.signsrv.approve(id)).status).toBe(200);
  await world.waitStatus(id, 'confirmed');
  expect(await world.provider.getBalance(to)).toBe(AMOUNT);
  expect(await world.minedTxCount(id)).toBe(1);
  expect(await world.balances(account, 'ETH')).toEqual({ available: funded - AMOUNT - FEE, frozen: 0n });
}

describe('withdrawals survive kill -9 at every step', () => {
  it('transrv killed after the freeze committed, before the outbox was relayed: the retry finds it, it is paid once', async () => {
    await restartTransrv('transrv.withdrawal.after_freeze');
    const account = await world.fundedAccount({ ETH });
    const to = WithdrawalWorld.freshAddress();
    const first = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() }, 'crash-after-freeze');
    expect(first.status).toBeGreaterThanOrEqual(500); // the node died before answering
    await world.cluster.process('transrv-t1').exited;
    const stored = await world.fixtures.db('withdrawals').where({ account_id: account });
    expect(stored).toHaveLength(1);
    expect(await world.balances(account, 'ETH').catch(() => null)).toBeNull(); // the node is down: 503
    await world.cluster.startTransrv('t1');
    const retry = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() }, 'crash-after-freeze');
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(stored[0].id);
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH - AMOUNT - FEE, frozen: AMOUNT + FEE });
    await approveAndConfirm(retry.body.id, to, account, ETH);
  });

  it('signsrv killed after signing, before broadcasting: the stored transaction is sent after the restart, once', async () => {
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_sign' });
    const account = await world.fundedAccount({ ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
    await world.signsrv.received(res.body.id);
    // The approval records the decision; signsrv's quick pass signs it once transrv applied it, and dies there (the
    // answer may be lost with the process).
    await world.signsrv.approve(res.body.id).catch(() => null);
    await world.cluster.process('signsrv').exited;
    const [tx] = await world.txsOf(res.body.id);
    expect(tx).toBeDefined();
    expect(await world.provider.getTransaction(tx!.txid)).toBeNull(); // signed and stored, never sent
    await world.cluster.startSignsrv();
    await world.waitStatus(res.body.id, 'confirmed');
    expect((await world.get(res.body.id)).txid).toBe(tx!.txid);
    expect(await world.provider.getBalance(to)).toBe(AMOUNT);
    expect(await world.txsOf(res.body.id)).toHaveLength(1);
  });

  it('signsrv killed after broadcasting, before reporting it: nothing is sent twice and the nonce is not reused', async () => {
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_broadcast' });
    const account = await world.fundedAccount({ ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
    await world.signsrv.received(res.body.id);
    await world.signsrv.approve(res.body.id).catch(() => null);
    await world.cluster.process('signsrv').exited;
    const [tx] = await world.txsOf(res.body.id);
    expect(await world.provider.getTransaction(tx!.txid)).not.toBeNull(); // it did leave
    await world.cluster.startSignsrv();
    await world.waitStatus(res.body.id, 'confirmed');
    expect(await world.provider.getBalance(to)).toBe(AMOUNT);
    expect(await world.minedTxCount(res.body.id)).toBe(1);
    // The next withdrawal gets the next nonce.
    const to2 = WithdrawalWorld.freshAddress();
    const next = await world.withdraw(account, { asset: 'ETH', to: to2, amount: AMOUNT.toString() });
    await world.signsrv.received(next.body.id);
    expect((await world.signsrv.approveSigned(next.body.id)).body.nonce).toBe(tx!.nonce + 1);
    await world.waitStatus(next.body.id, 'confirmed');
    expect(await world.provider.getBalance(to2)).toBe(AMOUNT);
  });

  it('transrv killed after reading blockout_rsp, before committing: the entry stays pending and is applied after the restart', async () => {
    await restartTransrv('transrv.rsp.before_commit');
    const account = await world.fundedAccount({ ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
    expect(res.status).toBe(201);
    // signsrv answers `received`; the node reads it and dies before its commit.
    await world.cluster.process('transrv-t1').exited;
    const keys = blockoutKeys(world.cluster.env);
    const pending = (await world.redis.xpending(keys.rsp, 'transrv:t1')) as [number, ...unknown[]];
    expect(pending[0]).toBeGreaterThanOrEqual(1);
    const outbox = await world.fixtures.db('withdrawal_outbox').where({ withdrawal_id: res.body.id }).first<{ acked_at: Date | null }>();
    expect(outbox.acked_at).toBeNull();
    await world.cluster.startTransrv('t1');
    await waitFor('the pending entry applied', async () => {
      const row = await world.fixtures.db('withdrawal_outbox').where({ withdrawal_id: res.body.id }).first<{ acked_at: Date | null }>();
      return row.acked_at !== null ? true : undefined;
    });
    await waitFor('no pending entries', async () =>
      ((await world.redis.xpending(keys.rsp, 'transrv:t1')) as [number])[0] === 0 ? true : undefined,
    );
    await approveAndConfirm(res.body.id, to, account, ETH);
  });

  it('Redis FLUSHALL mid-flight loses nothing: requests and reports are re-sent from MySQL, every withdrawal ends once', async () => {
    const account = await world.fundedAccount({ ETH });
    // 1. Requests relayed into blockout_req while signsrv is down, then wiped: only re-sending can deliver them.
    await world.cluster.process('signsrv').stop('SIGKILL');
    const made = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const to = WithdrawalWorld.freshAddress();
        const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
        expect(res.status).toBe(201);
        return { id: res.body.id, to };
      }),
    );
    const ids = made.map((w) => w.id);
    await waitFor('all six relayed', async () => {
      const rows = (await world.fixtures.db('withdrawal_outbox').whereIn('withdrawal_id', ids).where('sent_count', '>', 0)) as unknown[];
      return rows.length === 6 ? true : undefined;
    });
    await world.redis.flushall();
    await world.cluster.startSignsrv();
    for (const w of made) await world.signsrv.received(w.id);

    // 2. Decisions and reports sent while the owning transrv is down, then wiped: signsrv re-sends them until
    // MySQL shows them applied; the scanner matches the transactions without blockout_ctx.
    await world.cluster.process('transrv-t1').stop('SIGKILL');
    for (const w of made.slice(0, 3)) expect((await world.signsrv.approve(w.id)).status).toBe(200);
    expect((await world.signsrv.reject(made[3]!.id, 'flushed decision')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    await world.redis.flushall();
    await world.cluster.startTransrv('t1');
    const rejected = await world.waitStatus(made[3]!.id, 'rejected');
    expect(rejected.reason).toBe('flushed decision');
    for (const w of made.slice(4)) expect((await world.signsrv.approve(w.id)).status).toBe(200);
    for (const w of [...made.slice(0, 3), ...made.slice(4)]) {
      await world.waitStatus(w.id, 'confirmed');
      expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
      expect(await world.minedTxCount(w.id)).toBe(1);
    }
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH - 5n * (AMOUNT + FEE), frozen: 0n });
  });

  it('a transaction the node dropped from its pool is sent again (same transaction, no new one) and confirms once', async () => {
    await restartSignsrv({ SIGNSRV_REBROADCAST_MS: '1000', SIGNSRV_BUMP_AFTER_MS: '600000' });
    const account = await world.fundedAccount({ ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
    await world.signsrv.received(res.body.id);
    await world.provider.send('evm_setAutomine', [false]);
    try {
      const approved = await world.signsrv.approveSigned(res.body.id);
      const txid = approved.body.txid!;
      await waitFor('in the pool', async () => ((await world.provider.getTransaction(txid)) ? true : undefined));
      await world.provider.send('anvil_dropTransaction', [txid]);
      expect(await world.provider.getTransaction(txid)).toBeNull();
      await waitFor('sent again', async () => ((await world.provider.getTransaction(txid)) ? true : undefined));
    } finally {
      await world.provider.send('evm_setAutomine', [true]);
    }
    await world.mine(1);
    const confirmed = await world.waitStatus(res.body.id, 'confirmed');
    expect(await world.txsOf(res.body.id)).toHaveLength(1);
    expect(confirmed.txid).toBe((await world.txsOf(res.body.id))[0]!.txid);
    expect(await world.provider.getBalance(to)).toBe(AMOUNT);
  });

  it('a stuck transaction (anvil automine off) is replaced by a fee bump with the same nonce, and confirms once', async () => {
    await restartSignsrv({ SIGNSRV_BUMP_AFTER_MS: '2000' });
    const account = await world.fundedAccount({ ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
    await world.signsrv.received(res.body.id);
    await world.provider.send('evm_setAutomine', [false]);
    try {
      expect((await world.signsrv.approveSigned(res.body.id)).status).toBe(200);
      const [first] = await world.txsOf(res.body.id);
      const txs = await waitFor('a replacement', async () => {
        const all = await world.txsOf(res.body.id);
        return all.length >= 2 ? all : undefined;
      });
      expect(txs[1]!.nonce).toBe(first!.nonce);
      expect(txs[1]!.txid).not.toBe(first!.txid);
      await waitFor('the replacement in the pool', async () => ((await world.provider.getTransaction(txs[1]!.txid)) ? true : undefined));
    } finally {
      await world.provider.send('evm_setAutomine', [true]);
    }
    await world.mine(1);
    const confirmed = await world.waitStatus(res.body.id, 'confirmed');
    const all = await world.txsOf(res.body.id);
    const minedOnes = [];
    for (const t of all) if (await world.provider.getTransactionReceipt(t.txid)) minedOnes.push(t.txid);
    expect(minedOnes).toHaveLength(1);
    expect(confirmed.txid).toBe(minedOnes[0]);
    expect(minedOnes[0]).not.toBe(all[0]!.txid); // the bumped one won
    expect(await world.provider.getBalance(to)).toBe(AMOUNT);
  });
});
