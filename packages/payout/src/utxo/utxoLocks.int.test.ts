import { randomBytes } from 'node:crypto';
import { type Db } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CoinChoice } from './coinSelection.js';
import { type LockedUtxo, type SelectCoinsOptions, expireCoinLocks, releaseCoins, selectAndLockCoins } from './utxoLocks.js';
import { createTestDatabase } from '@wallet/testkit';

const CHAIN = 'ltc';
const P2WPKH = `0014${'22'.repeat(20)}`;
const NOW = new Date('2026-12-01T00:00:00.000Z');
const LATER = new Date(NOW.getTime() + 10 * 60_000);

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop());
beforeEach(async () => {
  await db('utxos').delete();
});

type Seed = { amount: bigint; height?: number; spentBy?: string; lockedBy?: string; lockedUntil?: Date; chain?: string; account?: string };
async function seed(...rows: Seed[]): Promise<string[]> {
  const ids = rows.map(() => randomBytes(32).toString('hex'));
  await db('utxos').insert(
    rows.map((r, i) => ({
      chain: r.chain ?? CHAIN,
      txid: ids[i],
      vout: 0,
      script: `0014${randomBytes(20).toString('hex')}`,
      amount: r.amount.toString(),
      block_number: r.height ?? 1,
      block_hash: 'bb'.repeat(32),
      account_id: r.account ?? 'acct_1',
      spent_by_txid: r.spentBy ?? null,
      spent_block_number: r.spentBy ? (r.height ?? 1) + 1 : null,
      locked_by: r.lockedBy ?? null,
      locked_until: r.lockedUntil ?? null,
    })),
  );
  return ids;
}

function opts(amount: bigint, over: Partial<SelectCoinsOptions> = {}): SelectCoinsOptions {
  return {
    chain: CHAIN,
    outputs: [{ script: P2WPKH, amount }],
    feeRate: 1n,
    tip: 100n,
    minConf: 1,
    lockedBy: 'build_1',
    lockedUntil: LATER,
    now: NOW,
    ...over,
  };
}

async function attempt<T>(f: () => Promise<T>): Promise<T | { code: string; details: Readonly<Record<string, unknown>> }> {
  try {
    return await f();
  } catch (e) {
    if (isWalletError(e)) return { code: e.code, details: e.details };
    throw e;
  }
}

describe('selectAndLockCoins', () => {
  it('spends only confirmed, unspent, unlocked (or lapsed) outputs of the chain', async () => {
    const [tipOnly, deep, , , lapsed] = await seed(
      { amount: 100_000n, height: 100 }, // 1 confirmation at tip 100
      { amount: 20_000n, height: 99 }, // 2 confirmations
      { amount: 300_000n, height: 50, spentBy: 'cc'.repeat(32) },
      { amount: 400_000n, height: 50, lockedBy: 'other', lockedUntil: LATER },
      { amount: 5_000n, height: 50, lockedBy: 'gone', lockedUntil: new Date(NOW.getTime() - 1) },
      { amount: 600_000n, height: 50, chain: 'btc' },
      { amount: 700_000n, height: 101 }, // above the tip the caller knows
    );
    const tooMuch = await attempt(() => db.transaction((trx) => selectAndLockCoins(trx, opts(1_000_000n, { minConf: 2 }))));
    expect(tooMuch).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { reason: 'insufficient_utxos', available: '25000' } });
    const oneConf = await attempt(() => db.transaction((trx) => selectAndLockCoins(trx, opts(1_000_000n))));
    expect(oneConf).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { available: '125000' } });

    const choice = await db.transaction((trx) => selectAndLockCoins(trx, opts(21_000n, { minConf: 2 })));
    expect(new Set(choice.inputs.map((i) => i.txid))).toEqual(new Set([deep, lapsed]));
    const locked = await db('utxos')
      .whereNotNull('locked_by')
      .orderBy('amount')
      .select<{ txid: string; locked_by: string; locked_until: Date }[]>('txid', 'locked_by', 'locked_until');
    expect(locked.map((r) => [r.txid, r.locked_by])).toEqual([
      [lapsed, 'build_1'],
      [deep, 'build_1'],
      [expect.any(String), 'other'],
    ]);
    expect(locked[0]?.locked_until).toEqual(LATER);
    expect(choice.inputs.map((i) => i.txid)).not.toContain(tipOnly);
  });

  it("spends a customer's deposit output only at the deposit confirmations, the wallet's own change at minConf (chaos seed 11)", async () => {
    // Tip 100: heights 100 and 99 have 1 and 2 confirmations.
    const [, , change, deposit2] = await seed(
      { amount: 900_000n, height: 100 }, // a deposit mined in the tip: a reorg may drop it and its sender replace it
      { amount: 800_000n, height: 100, account: 'sys:hot' }, // also in the tip, but the wallet's own change
      { amount: 50_000n, height: 100, account: 'sys:hot' },
      { amount: 40_000n, height: 99 },
    );
    const shallow = await attempt(() =>
      db.transaction((trx) => selectAndLockCoins(trx, opts(1_500_000n, { minConf: 1, depositMinConf: 3 }))),
    );
    // Only the change counts: 800,000 + 50,000 (the 2-confirmation deposit is short of 3 as well).
    expect(shallow).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { available: '850000' } });
    const choice = await db.transaction((trx) => selectAndLockCoins(trx, opts(60_000n, { minConf: 1, depositMinConf: 2 })));
    // The largest spendable first: the 800,000 change (the 900,000 deposit has one confirmation of the two it needs).
    expect(choice.inputs.map((i) => i.amount)).toEqual([800_000n]);
    const tight = await db.transaction((trx) =>
      selectAndLockCoins(trx, opts(80_000n, { minConf: 1, depositMinConf: 2, lockedBy: 'build_2', pageSize: 1 })),
    );
    expect(new Set(tight.inputs.map((i) => i.txid))).toEqual(new Set([change, deposit2]));
    // minConf above the deposit confirmations still rules both.
    await db('utxos').update({ locked_by: null, locked_until: null });
    const strict = await attempt(() => db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n, { minConf: 3, depositMinConf: 2 }))));
    expect(strict).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { available: '0' } });
  });

  it('reads page after page, largest first, through equal amounts and outputs of one transaction', async () => {
    const txid = 'ee'.repeat(32);
    await db('utxos').insert(
      Array.from({ length: 9 }, (_, vout) => ({
        chain: CHAIN,
        txid: vout < 6 ? txid : randomBytes(32).toString('hex'),
        vout,
        script: P2WPKH,
        amount: vout < 8 ? '10000' : '1000',
        block_number: 1,
        block_hash: 'bb'.repeat(32),
        account_id: 'acct_1',
      })),
    );
    // 8 outputs of 10,000 (6 of them in one transaction) and one of 1,000: 75,000 needs all the 10,000s
    const c = await db.transaction((trx) => selectAndLockCoins(trx, opts(75_000n, { pageSize: 2 })));
    expect(c.inputs).toHaveLength(8);
    expect(new Set(c.inputs.map((i) => `${i.txid}:${i.vout}`)).size).toBe(8);
    expect(c.inputs.every((i) => i.amount === 10_000n)).toBe(true);
    const tooMany = await attempt(() =>
      db.transaction((trx) => selectAndLockCoins(trx, opts(75_000n, { lockedBy: 'build_2', now: LATER, maxCandidates: 5 }))),
    );
    expect(tooMany).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { reason: 'too_many_inputs', available: '50000' } });
  });

  it('locks nothing when the transaction that records the build rolls back', async () => {
    await seed({ amount: 100_000n });
    await expect(
      db.transaction(async (trx) => {
        await selectAndLockCoins(trx, opts(10_000n));
        throw new Error('build failed');
      }),
    ).rejects.toThrow('build failed');
    expect(await db('utxos').whereNotNull('locked_by').select('txid')).toEqual([]);
  });

  it('refuses a fee rate below the relay minimum, locking nothing', async () => {
    await seed({ amount: 100_000n });
    const r = await attempt(() => db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n, { feeRate: 1n, minRelayFeeRate: 2n }))));
    expect(r).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'fee_rate_below_relay_minimum' } });
    expect(await db('utxos').whereNotNull('locked_by').select('txid')).toEqual([]);
  });

  it('gives a small remainder to the fee instead of a dust change output', async () => {
    await seed({ amount: 10_000n });
    // 1 input, 1 output: 110 vB at 1 sat/vB; a 200 sat remainder would be dust
    const c = await db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n - 110n - 200n)));
    expect(c.change).toBeNull();
    expect(c.fee).toBe(310n);
    await db('utxos').delete();
    await seed({ amount: 100_000n });
    const withChange = await db.transaction((trx) => selectAndLockCoins(trx, opts(50_000n)));
    expect(withChange.change).toBe(100_000n - 50_000n - withChange.fee);
    expect(withChange.fee).toBe(141n); // 1 input, 2 outputs at 1 sat/vB
  });

  it('makes a concurrent builder skip the rows another holds instead of waiting for them', async () => {
    await seed({ amount: 100_000n }, { amount: 90_000n });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first!: CoinChoice<LockedUtxo>;
    let selected!: () => void;
    const firstSelected = new Promise<void>((r) => (selected = r));
    const holder = db.transaction(async (trx) => {
      first = await selectAndLockCoins(trx, opts(10_000n, { pageSize: 1 }));
      selected();
      await held;
    });
    await firstSelected;
    const second = await db
      .transaction(async (trx) => {
        // without SKIP LOCKED this read would wait on the holder's row and fail here (1205) after a second
        await trx.raw('SET SESSION innodb_lock_wait_timeout = 1');
        return selectAndLockCoins(trx, opts(10_000n, { lockedBy: 'build_2', pageSize: 1 }));
      })
      .finally(release);
    await holder;
    expect(first.inputs.map((i) => i.amount)).toEqual([100_000n]);
    expect(second.inputs.map((i) => i.amount)).toEqual([90_000n]);
  });

  it('never gives one input to two of 50 concurrent builds', async () => {
    await seed(...Array.from({ length: 120 }, (_, i) => ({ amount: 10_000n + BigInt(i % 7) * 1_000n })));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, b) =>
        attempt(() =>
          db.transaction(async (trx) => {
            const c = await selectAndLockCoins(trx, opts(25_000n, { lockedBy: `build_${b}`, pageSize: 4 }));
            await new Promise((r) => setTimeout(r, 20)); // hold the locks while the others select
            return { build: `build_${b}`, c };
          }),
        ),
      ),
    );
    const ok = results.filter((r): r is { build: string; c: CoinChoice<LockedUtxo> } => 'build' in r);
    const failed = results.filter((r) => !('build' in r));
    for (const f of failed) expect(f).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(ok.length).toBeGreaterThan(10);
    const owner = new Map<string, string>();
    for (const { build, c } of ok) {
      for (const i of c.inputs) {
        expect(owner.get(i.txid)).toBeUndefined();
        owner.set(i.txid, build);
      }
    }
    const rows = await db('utxos').whereNotNull('locked_by').select<{ txid: string; locked_by: string }[]>('txid', 'locked_by');
    expect(new Map(rows.map((r) => [r.txid, r.locked_by]))).toEqual(owner);
  });

  it('expires a lapsed lock and makes its inputs selectable again; release frees a build at once', async () => {
    const [only] = await seed({ amount: 100_000n });
    await db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n, { lockedUntil: LATER })));
    const busy = await attempt(() => db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n, { lockedBy: 'build_2' }))));
    expect(busy).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });

    expect(await expireCoinLocks(db, NOW)).toEqual(new Map());
    expect(await expireCoinLocks(db, LATER)).toEqual(new Map([['build_1', 1]]));
    expect(await db('utxos').where({ txid: only }).first('locked_by', 'locked_until')).toEqual({ locked_by: null, locked_until: null });
    const again = await db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n, { lockedBy: 'build_2' })));
    expect(again.inputs.map((i) => i.txid)).toEqual([only]);

    expect(await releaseCoins(db, 'build_2')).toBe(1);
    const third = await db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n, { lockedBy: 'build_3' })));
    expect(third.inputs.map((i) => i.txid)).toEqual([only]);
  });

  it('keeps an input spent on chain spent when its lock is released or lapses', async () => {
    const [only] = await seed({ amount: 100_000n });
    await db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n)));
    // the scanner sees the build's transaction mined
    await db('utxos')
      .where({ chain: CHAIN, txid: only, vout: 0 })
      .update({ spent_by_txid: 'dd'.repeat(32), spent_block_number: 101 });
    expect(await expireCoinLocks(db, LATER)).toEqual(new Map([['build_1', 1]]));
    expect(await releaseCoins(db, 'build_1')).toBe(0);
    expect(await db('utxos').where({ txid: only }).first('spent_by_txid')).toEqual({ spent_by_txid: 'dd'.repeat(32) });
    const r = await attempt(() => db.transaction((trx) => selectAndLockCoins(trx, opts(10_000n, { lockedBy: 'build_2', tip: 200n }))));
    expect(r).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { available: '0' } });
  });
});
