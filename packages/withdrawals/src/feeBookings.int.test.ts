import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import type { Db } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { createTestDatabase } from '@wallet/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookConsolidationFees } from './index.js';

const registry = AssetRegistry.parse(devRegistryInput);
const log = createLogger('fee-bookings-test', { level: 'silent' });

/** The global database, and a shard of each of two nodes (docs/sharding.md). */
let global: { db: Db; drop: () => Promise<void> };
let shards: { db: Db; drop: () => Promise<void> }[];

beforeAll(async () => {
  global = await createTestDatabase();
  shards = [await createTestDatabase(), await createTestDatabase()];
});
afterAll(async () => {
  for (const d of [global, ...(shards ?? [])]) await d?.drop();
});

/** A consolidation signsrv finished, with its fee, as it is in signsrv's table (global). */
async function confirmedConsolidation(id: string, fee: bigint, db: Db = global.db): Promise<void> {
  await db('utxo_builds').insert({
    id,
    chain: 'ltc',
    kind: 'consolidation',
    status: 'confirmed',
    psbt: '',
    inputs: 2,
    input_total: '1000000',
    fee: fee.toString(),
    fee_rate: 1,
    vsize: 200,
    locked_until: new Date(),
  });
}

async function entryLines(db: Db, buildId: string): Promise<{ account_id: string; amount: string; node_id: string }[]> {
  return db('journal').where({ ref_id: buildId }).orderBy('amount').select('account_id', 'amount', 'node_id');
}

describe("the fees of signsrv's own sends, booked by one node in its own database", () => {
  it("two nodes on two shards book a fee once between them, in the claiming node's journal", async () => {
    await confirmedConsolidation('ub_two', 1234n);
    const [n1, n2] = [
      { global: global.db, shard: shards[0]!.db },
      { global: global.db, shard: shards[1]!.db },
    ];
    const booked = await Promise.all([bookConsolidationFees(n1, 't1', registry, log), bookConsolidationFees(n2, 't2', registry, log)]);
    expect(booked.flat()).toEqual(['ub_two']);
    const claim = await global.db('fee_bookings').where({ entry_id: 'ub_two:fee' }).first('node_id', 'booked_at');
    expect(claim?.booked_at).not.toBeNull();
    const [owner, other] = claim?.node_id === 't1' ? [shards[0]!, shards[1]!] : [shards[1]!, shards[0]!];
    expect(await entryLines(owner.db, 'ub_two')).toEqual([
      { account_id: 'sys:fees:LTC', amount: '-1234', node_id: claim?.node_id },
      { account_id: 'sys:chain:ltc:network_fees', amount: '1234', node_id: claim?.node_id },
    ]);
    expect(await entryLines(other.db, 'ub_two')).toEqual([]);
    // Later passes of either node book nothing more.
    expect([...(await bookConsolidationFees(n1, 't1', registry, log)), ...(await bookConsolidationFees(n2, 't2', registry, log))]).toEqual(
      [],
    );
    expect((await entryLines(owner.db, 'ub_two')).length).toBe(2);
  });

  it('a crash after the booking, before it is recorded, is finished by the next pass without booking twice', async () => {
    await confirmedConsolidation('ub_crash', 500n);
    const n1 = { global: global.db, shard: shards[0]!.db };
    await expect(
      bookConsolidationFees(n1, 't1', registry, log, () => {
        throw new Error('crash after the shard commit');
      }),
    ).rejects.toThrow('crash after the shard commit');
    expect((await entryLines(shards[0]!.db, 'ub_crash')).length).toBe(2);
    expect(await global.db('fee_bookings').where({ entry_id: 'ub_crash:fee' }).first('node_id', 'booked_at')).toEqual({
      node_id: 't1',
      booked_at: null,
    });
    // The next pass records it, and posts nothing (so it reports nothing booked).
    expect(await bookConsolidationFees(n1, 't1', registry, log)).toEqual([]);
    expect((await entryLines(shards[0]!.db, 'ub_crash')).length).toBe(2);
    expect((await global.db('fee_bookings').where({ entry_id: 'ub_crash:fee' }).first('booked_at'))?.booked_at).not.toBeNull();
  });

  it('two processes of one node (a restart overlapping the old one) book its claim once', async () => {
    await confirmedConsolidation('ub_overlap', 77n);
    const n1 = { global: global.db, shard: shards[0]!.db };
    const booked = await Promise.all([1, 2, 3].map(() => bookConsolidationFees(n1, 't1', registry, log)));
    expect(booked.flat()).toEqual(['ub_overlap']);
    expect((await entryLines(shards[0]!.db, 'ub_overlap')).length).toBe(2);
  });

  it('with one database, a fee booked before the claims existed is claimed and not booked again', async () => {
    const one = await createTestDatabase();
    try {
      await confirmedConsolidation('ub_legacy', 900n, one.db);
      // Booked by the code before fee_bookings: the entry, no claim.
      await one.db('journal').insert([
        {
          entry_id: 'ub_legacy:fee',
          node_id: 't1',
          account_id: 'sys:fees:LTC',
          asset: 'LTC',
          bucket: 'available',
          amount: '-900',
          kind: 'network_fee',
          ref_id: 'ub_legacy',
        },
        {
          entry_id: 'ub_legacy:fee',
          node_id: 't1',
          account_id: 'sys:chain:ltc:network_fees',
          asset: 'LTC',
          bucket: 'available',
          amount: '900',
          kind: 'network_fee',
          ref_id: 'ub_legacy',
        },
      ]);
      expect(await bookConsolidationFees(one.db, 't2', registry, log)).toEqual([]);
      expect((await entryLines(one.db, 'ub_legacy')).length).toBe(2);
      expect(await one.db('fee_bookings').where({ entry_id: 'ub_legacy:fee' }).first('node_id')).toEqual({ node_id: 't2' });
    } finally {
      await one.drop();
    }
  });
});
