import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockoutKeys } from '@wallet/withdrawal-protocol';
import { stackEnv } from '../harness/stackEnv.js';
import { UtxoWithdrawalWorld } from '../harness/UtxoWithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Crash points for Litecoin withdrawals, as withdrawalCrashes.test.ts does for Ethereum: kill -9 (the process
// SIGKILLs itself at the named place: no cleanup, no flush, no rollback beyond what MySQL does for an open
// transaction) at each step where a crash could lose or double money, then a restart. One transrv node, so the crash
// points hit the node that owns the withdrawals. On a UTXO chain "paid once" means: one of the withdrawal's
// transactions mined (they spend the same inputs, so the chain cannot mine two; a rebuild spends other inputs and
// could), and no input held by a build that was given up.

let world: UtxoWithdrawalWorld;
let redis: Redis;
/** The account whose deposits fund the wallet's UTXO set, and that every withdrawal here is made from. */
let funder: string;
/** 0.3 LTC, in litoshi. */
const AMOUNT = 30_000_000n;

const terminal = ['confirmed', 'rejected', 'cancelled', 'failed'];

beforeAll(async () => {
  // A mnemonic of its own: the stack's litecoind is shared, and clusters of the default mnemonic derive the same
  // deposit and change addresses (another test's deposits would be credited here, its change seen as ours).
  world = await UtxoWithdrawalWorld.start({ transrvNodes: ['t1'], ttlSeconds: 3, mnemonic: generateMnemonic(wordlist, 128) });
  redis = new Redis(stackEnv.REDIS_URL);
  funder = await world.openAccount();
  // Several outputs, so withdrawals in flight together need not wait for change to confirm.
  await world.deposit(funder, '2', '2', '2', '2', '2', '2', '2', '2');
}, 240_000);

afterEach(async () => {
  expect(await settledLockProblems()).toEqual([]);
  expect(await world.fixtures.invariants()).toEqual([]);
});

afterAll(async () => {
  if (world) {
    // Every withdrawal ended in exactly one terminal status, none had more than one transaction mined, and the books
    // balance.
    const rows = await world.fixtures.db('withdrawals').select<{ id: string; status: string }[]>('id', 'status');
    for (const r of rows) {
      expect(terminal, r.id).toContain(r.status);
      const ends = await world.fixtures.db('withdrawal_events').where({ withdrawal_id: r.id }).whereIn('to_status', terminal);
      expect(ends, r.id).toHaveLength(1);
      expect(await world.minedTxCount(r.id), r.id).toBeLessThanOrEqual(1);
    }
    expect(await world.fixtures.invariants()).toEqual([]);
  }
  redis?.disconnect();
  await world?.stop();
}, 120_000);

/**
 * The wallet's lock problems ({@link UtxoWithdrawalWorld.lockProblems}) once the scanner caught up with the chain: a
 * spend is recorded when its block is scanned, so a problem must persist for a while to count.
 */
async function settledLockProblems(): Promise<string[]> {
  let last: string[] = [];
  try {
    await waitFor(
      'no lock problems',
      async () => {
        last = await world.lockProblems();
        return last.length === 0 ? true : undefined;
      },
      20_000,
    );
  } catch {
    // the problems are the assertion's
  }
  return last;
}

/** A withdrawal's transactions as signsrv stored them, oldest attempt first. */
async function txsOf(withdrawalId: string): Promise<{ txid: string; buildId: string | null }[]> {
  const rows = await world.fixtures.db('withdrawal_txs').where({ withdrawal_id: withdrawalId }).orderBy('attempt');
  return rows.map((r: { txid: string; build_id: string | null }) => ({ txid: r.txid, buildId: r.build_id }));
}

/** The node's confirmations of a transaction: 0 in its pool, null when it does not know it (never sent). */
async function confirmations(txid: string): Promise<number | null> {
  try {
    return (await world.node.call<{ confirmations?: number }>('getrawtransaction', [txid, true])).confirmations ?? 0;
  } catch (error) {
    if (String(error).includes('(-5)')) return null; // No such mempool or blockchain transaction
    throw error;
  }
}

async function restartTransrv(crashPoints = ''): Promise<void> {
  await world.cluster.process('transrv-t1').stop('SIGKILL');
  await world.cluster.startTransrv('t1', { WALLET_CRASH_POINTS: crashPoints });
}

async function restartSignsrv(env: Record<string, string> = {}): Promise<void> {
  await world.cluster.process('signsrv').stop('SIGKILL');
  await world.cluster.startSignsrv(env);
}

/** A withdrawal of {@link AMOUNT} from the funder to a fresh address outside the wallet. */
async function withdraw(idempotencyKey?: string): Promise<{ id: string; to: string; fee: bigint }> {
  const to = await world.freshAddress();
  const res = await world.withdraw(funder, { asset: 'LTC', to, amount: AMOUNT.toString() }, idempotencyKey);
  expect(res.status).toBe(201);
  return { id: res.body.id, to, fee: BigInt(res.body.fee) };
}

/** Waits until the withdrawal is confirmed, then checks it was paid exactly once: one transaction mined, paying it. */
async function confirmedOnce(id: string, to: string): Promise<string> {
  const confirmed = await world.waitStatus(id, 'confirmed');
  expect(await world.minedTxCount(id)).toBe(1);
  expect(await confirmations(confirmed.txid!)).toBeGreaterThanOrEqual(1);
  const tx = await world.transaction(confirmed.txid!);
  const paying = tx.outs.filter((o) => o.value === AMOUNT);
  expect(paying.length).toBeGreaterThanOrEqual(1);
  const stored = await world.fixtures.db('withdrawal_txs').where({ withdrawal_id: id, txid: confirmed.txid }).first<{ vout: number }>();
  expect(tx.outs[stored.vout]!.value).toBe(AMOUNT);
  const address = await world.node.call<{ scriptPubKey: string }>('getaddressinfo', [to], true);
  expect(Buffer.from(tx.outs[stored.vout]!.script).toString('hex')).toBe(address.scriptPubKey);
  return confirmed.txid!;
}

// Each test restarts a service (a tsx start-up is 10-20 s on the loaded 2-core stack) and waits for blocks: a ceiling
// above the project's 120 s, not a timing assertion.
describe('Litecoin withdrawals survive kill -9 at every step', { timeout: 300_000 }, () => {
  it('transrv killed after the freeze committed, before the outbox was relayed: the retry finds it, it is paid once', async () => {
    await restartTransrv('transrv.withdrawal.after_freeze');
    const before = await world.balance(funder);
    const to = await world.freshAddress();
    const body = { asset: 'LTC', to, amount: AMOUNT.toString() };
    const first = await world.withdraw(funder, body, 'ltc-crash-after-freeze');
    expect(first.status).toBeGreaterThanOrEqual(500); // the node died before answering
    await world.cluster.process('transrv-t1').exited;
    const stored = await world.fixtures.db('withdrawals').where({ account_id: funder, to_address: to });
    expect(stored).toHaveLength(1);
    await world.cluster.startTransrv('t1');
    const retry = await world.withdraw(funder, body, 'ltc-crash-after-freeze');
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(stored[0].id);
    const fee = BigInt(retry.body.fee);
    expect(await world.balance(funder)).toEqual({
      available: before.available - AMOUNT - fee,
      frozen: before.frozen + AMOUNT + fee,
    });
    await world.signsrv.received(retry.body.id);
    expect((await world.signsrv.approve(retry.body.id)).status).toBe(200);
    await confirmedOnce(retry.body.id, to);
    expect(await world.fixtures.db('withdrawals').where({ account_id: funder, to_address: to })).toHaveLength(1);
    expect(await world.balance(funder)).toEqual({ available: before.available - AMOUNT - fee, frozen: before.frozen });
  });

  it('signsrv killed after the build committed, before signing: after the restart the same build is signed, paid once', async () => {
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_build' });
    const w = await withdraw();
    await world.signsrv.received(w.id);
    await world.signsrv.approve(w.id).catch(() => null); // the connection may die with the process
    await world.cluster.process('signsrv').exited;
    const builds = await world.fixtures
      .db('utxo_builds as b')
      .join('utxo_build_members as m', 'm.build_id', 'b.id')
      .where({ 'm.withdrawal_id': w.id })
      .select<{ id: string; status: string }[]>('b.id', 'b.status');
    expect(builds).toEqual([{ id: expect.any(String), status: 'built' }]);
    const build = builds[0]!;
    const locked = await world.fixtures.db('utxos').where({ locked_by: build.id });
    expect(locked.length).toBeGreaterThanOrEqual(1);
    expect(await txsOf(w.id)).toEqual([]); // built, never signed
    await world.cluster.startSignsrv();
    const txid = await confirmedOnce(w.id, w.to);
    const txs = await txsOf(w.id);
    expect(txs).toHaveLength(1);
    expect(txs[0]).toMatchObject({ txid, buildId: build.id }); // the build that survived the crash
    expect(await world.fixtures.db('utxo_builds').where({ id: build.id }).first()).toMatchObject({ status: 'signed' });
    // It spends exactly the inputs that build locked.
    const spent = (await world.transaction(txid)).ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`);
    expect(spent.sort()).toEqual(locked.map((u: { txid: string; vout: number }) => `${u.txid}:${u.vout}`).sort());
  });

  it('signsrv killed after the build committed, and the build lapsed before the restart: it is rebuilt, its inputs freed, paid once', async () => {
    await restartSignsrv({
      WALLET_CRASH_POINTS: 'signsrv.after_build',
      SIGNSRV_UTXO_PAYOUTS: JSON.stringify({ ltc: { batchWindowMs: 0, maxOutputs: 1, buildLockMs: 1000 } }),
    });
    const w = await withdraw();
    await world.signsrv.received(w.id);
    await world.signsrv.approve(w.id).catch(() => null);
    await world.cluster.process('signsrv').exited;
    const [build] = await world.fixtures
      .db('utxo_builds as b')
      .join('utxo_build_members as m', 'm.build_id', 'b.id')
      .where({ 'm.withdrawal_id': w.id })
      .select<{ id: string }[]>('b.id');
    expect(build).toBeDefined();
    const locked = await world.fixtures.db('utxos').where({ locked_by: build!.id });
    expect(locked.length).toBeGreaterThanOrEqual(1);
    await waitFor('the build lapsed', async () => {
      const [rows] = (await world.fixtures.db.raw('SELECT locked_until <= CURRENT_TIMESTAMP(3) AS lapsed FROM utxo_builds WHERE id = ?', [
        build!.id,
      ])) as [{ lapsed: number }[]];
      return Number(rows[0]?.lapsed) === 1 ? true : undefined;
    });
    await world.cluster.startSignsrv();
    const txid = await confirmedOnce(w.id, w.to);
    const txs = await txsOf(w.id);
    expect(txs).toHaveLength(1);
    expect(txs[0]!.buildId).not.toBe(build!.id); // a new build
    expect(await world.fixtures.db('utxo_builds').where({ id: build!.id }).first()).toMatchObject({ status: 'abandoned' });
    expect(await world.fixtures.db('utxos').where({ locked_by: build!.id }).whereNull('spent_by_txid')).toEqual([]);
    expect((await world.transaction(txid)).ins.length).toBeGreaterThanOrEqual(1);
  });

  it('signsrv killed after signing, before broadcasting: the stored transaction is sent after the restart, once', async () => {
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_sign' });
    const w = await withdraw();
    await world.signsrv.received(w.id);
    await world.signsrv.approve(w.id).catch(() => null);
    await world.cluster.process('signsrv').exited;
    const [tx] = await txsOf(w.id);
    expect(tx).toBeDefined();
    expect(await confirmations(tx!.txid)).toBeNull(); // signed and stored, never sent
    await world.cluster.startSignsrv();
    const txid = await confirmedOnce(w.id, w.to);
    expect(txid).toBe(tx!.txid);
    expect(await txsOf(w.id)).toHaveLength(1);
  });

  it('signsrv killed after broadcasting, before reporting it: nothing is sent twice, it confirms once', async () => {
    await restartSignsrv({ WALLET_CRASH_POINTS: 'signsrv.after_broadcast' });
    const w = await withdraw();
    await world.signsrv.received(w.id);
    await world.signsrv.approve(w.id).catch(() => null);
    await world.cluster.process('signsrv').exited;
    const [tx] = await txsOf(w.id);
    expect(tx).toBeDefined();
    expect(await confirmations(tx!.txid)).not.toBeNull(); // it did leave
    await world.cluster.startSignsrv();
    const txid = await confirmedOnce(w.id, w.to);
    expect(txid).toBe(tx!.txid);
    expect(new Set((await txsOf(w.id)).map((t) => t.txid))).toEqual(new Set([tx!.txid]));
    // The next withdrawal is paid from other inputs (or the change), and confirms too.
    const next = await withdraw();
    await world.signsrv.received(next.id);
    expect((await world.signsrv.approve(next.id)).status).toBe(200);
    await confirmedOnce(next.id, next.to);
  });

  it('transrv killed after reading blockout_rsp, before committing: the entry stays pending and is applied after the restart', async () => {
    await restartTransrv('transrv.rsp.before_commit');
    const w = await withdraw();
    // signsrv answers `received`; the node reads it and dies before its commit.
    await world.cluster.process('transrv-t1').exited;
    const keys = blockoutKeys(world.cluster.env);
    const pending = (await redis.xpending(keys.rsp, 'transrv:t1')) as [number, ...unknown[]];
    expect(pending[0]).toBeGreaterThanOrEqual(1);
    const outbox = await world.fixtures.db('withdrawal_outbox').where({ withdrawal_id: w.id }).first<{ acked_at: Date | null }>();
    expect(outbox.acked_at).toBeNull();
    await world.cluster.startTransrv('t1');
    await waitFor('the pending entry applied', async () => {
      const row = await world.fixtures.db('withdrawal_outbox').where({ withdrawal_id: w.id }).first<{ acked_at: Date | null }>();
      return row.acked_at !== null ? true : undefined;
    });
    await waitFor('no pending entries', async () =>
      ((await redis.xpending(keys.rsp, 'transrv:t1')) as [number])[0] === 0 ? true : undefined,
    );
    await world.signsrv.received(w.id);
    expect((await world.signsrv.approve(w.id)).status).toBe(200);
    await confirmedOnce(w.id, w.to);
  });

  it('Redis wiped mid-flight loses nothing: requests and reports are re-sent from MySQL, every withdrawal ends once', async () => {
    const before = await world.balance(funder);
    /**
     * Every key of this cluster (they all live under `wallet:<env>:`): what FLUSHALL does to it, without wiping the
     * Redis that other clusters on the shared stack are using.
     */
    const wipe = async (): Promise<void> => {
      const keys = await redis.keys(`wallet:${world.cluster.env}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    };
    // 1. Requests relayed into blockout_req while signsrv is down, then wiped: only re-sending can deliver them.
    await world.cluster.process('signsrv').stop('SIGKILL');
    const made = await Promise.all(Array.from({ length: 6 }, () => withdraw()));
    const ids = made.map((w) => w.id);
    await waitFor('all six relayed', async () => {
      const rows = (await world.fixtures.db('withdrawal_outbox').whereIn('withdrawal_id', ids).where('sent_count', '>', 0)) as unknown[];
      return rows.length === 6 ? true : undefined;
    });
    await wipe();
    await world.cluster.startSignsrv();
    for (const w of made) await world.signsrv.received(w.id);

    // 2. Decisions reported while the owning transrv is down, then wiped: signsrv re-sends them until MySQL shows them
    // applied (nothing is signed before transrv has applied an approval).
    await world.cluster.process('transrv-t1').stop('SIGKILL');
    for (const w of made.slice(0, 3)) expect((await world.signsrv.approve(w.id)).status).toBe(200);
    expect((await world.signsrv.reject(made[3]!.id, 'flushed decision')).status).toBe(200);
    await waitFor('the decisions reported', async () => {
      const sent = (await world.fixtures
        .db('sign_outbox')
        .whereIn('withdrawal_id', ids.slice(0, 4))
        .whereIn('type', ['approved', 'rejected'])
        .where('sent_count', '>', 0)) as unknown[];
      return sent.length === 4 ? true : undefined;
    });
    for (const w of made.slice(0, 3)) expect(await txsOf(w.id)).toEqual([]);
    await wipe();
    await world.cluster.startTransrv('t1');
    // 3. The approved ones signed and sent once transrv applied them (the batch window passes first), then wiped again
    // (their reports and blockout_ctx with them): the scanner matches the transactions without blockout_ctx.
    await waitFor('the approved ones broadcast', async () => {
      for (const w of made.slice(0, 3)) {
        const [tx] = await txsOf(w.id);
        if (!tx || (await confirmations(tx.txid)) === null) return undefined;
      }
      return true;
    });
    await wipe();
    const rejected = await world.waitStatus(made[3]!.id, 'rejected');
    expect(rejected.reason).toBe('flushed decision');
    for (const w of made.slice(4)) expect((await world.signsrv.approve(w.id)).status).toBe(200);
    for (const w of [...made.slice(0, 3), ...made.slice(4)]) await confirmedOnce(w.id, w.to);
    const fees = made.filter((_, i) => i !== 3).reduce((s, w) => s + w.fee, 0n);
    expect(await world.balance(funder)).toEqual({ available: before.available - 5n * AMOUNT - fees, frozen: before.frozen });
  });
});
