import { runWalletctl } from '@wallet/walletctl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlUrl } from '../harness/stackEnv.js';
import { UtxoWithdrawalWorld } from '../harness/UtxoWithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

let world: UtxoWithdrawalWorld;

beforeAll(async () => {
  world = await UtxoWithdrawalWorld.start();
}, 240_000);

afterAll(async () => {
  if (world) {
    expect(await world.fixtures.invariants()).toEqual([]);
    await world.stop();
  }
});

/** Runs walletctl against this cluster's database. */
async function walletctl(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runWalletctl(
    args,
    { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    {
      ...process.env,
      MYSQL_URL: mysqlUrl(world.cluster.database),
    },
  );
  return { code, out: lines.join('\n') };
}

describe('UTXO consolidation through the cluster (stack litecoind)', () => {
  it('walletctl utxo consolidate merges 100 deposit outputs into the main address: signed by signsrv, mined, fee booked once', async () => {
    const funder = await world.openAccount();
    await world.deposit(funder, ...Array.from({ length: 100 }, () => '0.01'));
    const before = JSON.parse((await walletctl('utxo', 'stats', '--chain', 'ltc', '--json')).out) as {
      spendable: { count: number; value: string };
    }[];
    expect(before[0]!.spendable.count).toBe(100);
    const balance = await world.balance(funder);

    const asked = await walletctl('utxo', 'consolidate', '--chain', 'ltc', '--max-inputs', '100', '--wait', '--json');
    expect(asked.code).toBe(0);
    const request = JSON.parse(asked.out) as { status: string; buildId: string; build: { inputs: number; txid: string; fee: string } };
    expect(request).toMatchObject({ status: 'built', build: { inputs: 100 } });
    const { txid, fee } = request.build;

    const build = await waitFor(
      'the consolidation confirmed',
      async () => {
        const row = await world.fixtures.db('utxo_builds').where({ id: request.buildId }).first<{ status: string }>('status');
        if (row?.status === 'confirmed') return row;
        await world.node.mine(1);
        return undefined;
      },
      90_000,
    );
    expect(build.status).toBe('confirmed');
    const tx = await world.transaction(txid);
    expect(tx.ins).toHaveLength(100);
    expect(tx.outs).toHaveLength(1);
    // Every merged output is spent by it; its one output is the wallet's, spendable by later withdrawals.
    expect(await world.fixtures.db('utxos').where({ chain: 'ltc', spent_by_txid: txid }).count({ n: '*' })).toEqual([{ n: '100' }]);
    const merged = await world.fixtures.db('utxos').where({ chain: 'ltc', txid, vout: 0 }).first<{ account_id: string; amount: string }>();
    expect(merged).toMatchObject({ account_id: 'sys:chain:ltc:wallet' });
    expect(BigInt(merged.amount) + BigInt(fee)).toBe(100n * 1_000_000n);
    // The fee is the exchange's, booked once; no user's balance moved.
    // transrv books it in its settlement pass once signsrv marked the build confirmed: waited for, then exactly once.
    const booked = () => world.fixtures.db('journal').where({ ref_id: request.buildId }).orderBy('amount').select('account_id', 'amount');
    await waitFor('the consolidation fee booked', async () => ((await booked()).length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500)); // more settlement passes: nothing booked again
    const lines = await booked();
    expect(lines).toEqual([
      { account_id: 'sys:fees:LTC', amount: `-${fee}` },
      { account_id: 'sys:chain:ltc:network_fees', amount: fee },
    ]);
    expect(await world.balance(funder)).toEqual(balance);
    const after = JSON.parse((await walletctl('utxo', 'stats', '--chain', 'ltc', '--json')).out) as {
      spendable: { count: number };
      walletOwned: { count: number };
      consolidationsInFlight: number;
    }[];
    expect(after[0]).toMatchObject({ spendable: { count: 1 }, walletOwned: { count: 1 }, consolidationsInFlight: 0 });

    // A withdrawal is paid from the merged output.
    const res = await world.withdraw(funder, { asset: 'LTC', to: await world.freshAddress(), amount: '50000000' });
    expect(res.status).toBe(201);
    await world.signsrv.received(res.body.id);
    expect((await world.signsrv.approve(res.body.id)).status).toBe(200);
    const paid = await world.waitStatus(res.body.id, 'confirmed');
    const payout = await world.transaction(paid.txid!);
    expect(payout.ins.map((i) => Buffer.from(i.hash).reverse().toString('hex'))).toEqual([txid]);
  });
});
