import { randomBytes } from 'node:crypto';
import { type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolidationRequest, requestConsolidation, utxoStats } from './utxoCommands.js';
import { runWalletctl } from './walletctl.js';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let url: string;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, url, drop } = await createTestDatabase());
  const row = (amount: number, over: Record<string, unknown> = {}) => ({
    chain: 'ltc',
    txid: randomBytes(32).toString('hex'),
    vout: 0,
    script: `0014${randomBytes(20).toString('hex')}`,
    amount,
    block_number: 1,
    block_hash: 'bb'.repeat(32),
    account_id: 'acc_1',
    ...over,
  });
  await db('utxos').insert([
    row(100),
    row(200),
    row(300, { account_id: 'sys:chain:ltc:wallet' }),
    row(400, { locked_by: 'bld_a', locked_until: db.raw('CURRENT_TIMESTAMP(3) + INTERVAL 1 HOUR') }),
    row(500, { locked_by: 'bld_b', locked_until: '9999-12-31 00:00:00' }),
    row(600, { locked_by: 'bld_c', locked_until: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 1 SECOND') }), // lapsed: spendable
    row(700, { spent_by_txid: 'cc'.repeat(32) }), // spent: not counted
    row(5, { chain: 'btc' }),
  ]);
});
afterAll(async () => drop());

describe('walletctl utxo', () => {
  it('stats: spendable (lapsed locks included), building, in flight, wallet-owned, per chain; spent outputs left out', async () => {
    expect(await utxoStats(db, 'ltc')).toEqual([
      {
        chain: 'ltc',
        spendable: { count: 4, value: '1200' },
        building: { count: 1, value: '400' },
        inFlight: { count: 1, value: '500' },
        walletOwned: { count: 1, value: '300' },
        consolidationsInFlight: 0,
      },
    ]);
    expect((await utxoStats(db)).map((s) => s.chain)).toEqual(['btc', 'ltc']);
    const out: string[] = [];
    const code = await runWalletctl(
      ['utxo', 'stats', '--chain', 'ltc', '--json'],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
      {
        ...process.env,
        MYSQL_URL: url,
      },
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject([{ chain: 'ltc', spendable: { count: 4 } }]);
  });

  it('consolidate: records a request for signsrv, refuses a bad count or an unknown chain, and shows the answer', async () => {
    await expect(requestConsolidation(db, 'ltc', 1, 'ops')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(requestConsolidation(db, 'ltc', 1001, 'ops')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(requestConsolidation(db, 'doge', 10, 'ops')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await db('utxo_consolidation_requests').count({ n: '*' })).toEqual([{ n: '0' }]);
    const id = await requestConsolidation(db, 'ltc', 10, 'ops');
    expect(await consolidationRequest(db, id)).toMatchObject({ status: 'requested', maxInputs: 10, build: null });
    await db('utxo_builds').insert({
      id: 'bld_x',
      chain: 'ltc',
      kind: 'consolidation',
      status: 'signed',
      psbt: 'cHNidP8=',
      inputs: 3,
      input_total: 600,
      fee: 150,
      fee_rate: 1,
      vsize: 150,
      txid: 'dd'.repeat(32),
      locked_until: '9999-12-31 00:00:00',
    });
    await db('utxo_consolidation_requests').where({ id }).update({ status: 'built', build_id: 'bld_x' });
    expect(await consolidationRequest(db, id)).toMatchObject({
      status: 'built',
      build: { status: 'signed', txid: 'dd'.repeat(32), inputs: 3, fee: '150' },
    });
    expect((await utxoStats(db, 'ltc'))[0]!.consolidationsInFlight).toBe(1);
    const out: string[] = [];
    const code = await runWalletctl(
      ['utxo', 'consolidate', '--chain', 'ltc', '--max-inputs', '0'],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
      {
        ...process.env,
        MYSQL_URL: url,
      },
    ).catch((error: unknown) => error);
    expect(code).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
