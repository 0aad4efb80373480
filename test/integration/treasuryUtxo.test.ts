import { runWalletctl } from '@wallet/walletctl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walletctl } from '../harness/clients.js';
import { ConsoleSession } from '../harness/consoleSession.js';
import { Litecoind } from '../harness/litecoind.js';
import { UtxoWithdrawalWorld } from '../harness/UtxoWithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// The tiers on a UTXO chain through the whole cluster on the stack's litecoind (issue 16): the wallet's outputs over
// the LTC cap become a cold transfer that two admins approve in the console; signsrv builds, checks and signs it like
// a consolidation (output 0 the cold address, exactly the excess; change to the wallet's main address); the scanner
// knows the spend, transrv books its fee once, and reconciliation counts the cold address by reading the node's UTXO
// set (watched: its keys are not here). The floor alarm starts with the empty wallet and ends when deposits arrive.

let world: UtxoWithdrawalWorld;
let cold: string;
let alice: ConsoleSession;
let bob: ConsoleSession;
const LTC = 100_000_000n;
const CAP = LTC; // 1 LTC
const FLOOR = LTC / 2n;

type MoveRow = { id: string; status: string; amount: string; txid: string | null; build_id: string | null; fee: string | null };
const coldMoves = (): Promise<MoveRow[]> =>
  world.fixtures
    .db('treasury_moves')
    .where({ chain: 'ltc', kind: 'cold_transfer' })
    .orderBy('id')
    .select<MoveRow[]>(
      'id',
      'status',
      'txid',
      'build_id',
      world.fixtures.db.raw('CAST(amount AS CHAR) AS amount'),
      world.fixtures.db.raw('CAST(fee AS CHAR) AS fee'),
    );

beforeAll(async () => {
  // The cold wallet: an address of the node's own wallet, outside this system (no key of it here).
  cold = await new Litecoind().call<string>('getnewaddress', ['', 'bech32'], true);
  world = await UtxoWithdrawalWorld.start({
    extraEnv: {
      SIGNSRV_TIERS: JSON.stringify({ LTC: { cap: CAP.toString(), floor: FLOOR.toString(), cold } }),
      SIGNSRV_TREASURY_MS: '300',
      SIGNSRV_RECONCILE_MS: '30000',
      SIGNSRV_RECONCILE_SETTLEMENT_MS: '500',
      // The network fees the exchange pays come out of what the wallet holds: a few thousand litoshi here.
      SIGNSRV_RECONCILE_TOLERANCE: JSON.stringify({ LTC: '100000' }),
    },
  });
  const base = `${world.cluster.signsrvUrl}/console`;
  alice = await ConsoleSession.create(world.fixtures.db, base, 'alice', 'admin');
  bob = await ConsoleSession.create(world.fixtures.db, base, 'bob', 'admin');
}, 240_000);

afterAll(async () => {
  if (world) {
    expect(await world.fixtures.invariants()).toEqual([]);
    expect((await walletctl(world.cluster, 'ledger', 'check')).code).toBe(0);
    // The books against the chain, the cold address read from the node's UTXO set at the scanner's block.
    const env = { ...process.env, ...world.cluster.serviceEnv, SIGNSRV_RECONCILE_TOLERANCE: JSON.stringify({ LTC: '100000' }) };
    const measured = await waitFor('walletctl treasury check holds', async () => {
      const out: string[] = [];
      const code = await runWalletctl(['treasury', 'check', '--asset', 'LTC'], { out: (l) => out.push(l), err: (l) => out.push(l) }, env);
      if (code === 0) return { code, out };
      await world.node.mine(1);
      return undefined;
    });
    expect(measured.code).toBe(0);
    expect(await world.fixtures.db('node_alerts').where({ kind: 'unknown_hot_wallet_tx' })).toEqual([]);
    // Each log line writes each key once (a child logger's `chain` was repeated by the line: issue 18).
    expect(world.cluster.duplicateKeyLines()).toEqual([]);
    await world.stop();
  }
});

describe('UTXO tiers through the cluster (stack litecoind)', { timeout: 240_000 }, () => {
  it('the empty wallet is under its floor: one alarm, ended when deposits arrive', async () => {
    const alarm = await waitFor('the floor alarm', async () => {
      const rows = await world.fixtures.db('sign_alerts').where({ kind: 'hot_wallet_below_floor' });
      return rows.length > 0 ? rows : undefined;
    });
    expect(JSON.parse(alarm[0].details as string)).toMatchObject({ asset: 'LTC', floor: FLOOR.toString() });
    const funder = await world.openAccount();
    await world.deposit(funder, '1.5', '1.5');
    await waitFor('the episode ended', async () =>
      (await world.fixtures.db('treasury_tiers').where({ asset: 'LTC' }).first()).below_floor_since === null ? true : undefined,
    );
    expect(await world.fixtures.db('sign_alerts').where({ kind: 'hot_wallet_below_floor' })).toHaveLength(1);
  });

  it('the excess over the cap goes to the cold address after two admins approve: exactly the excess, fee booked once', async () => {
    const [move] = await waitFor('a cold transfer planned', async () => {
      const moves = await coldMoves();
      return moves.length > 0 ? moves : undefined;
    });
    expect(move).toMatchObject({ status: 'pending_review', amount: (3n * LTC - CAP).toString() });
    expect((await world.received(cold)).amount).toBe(0n);
    expect((await alice.post(`/admin/treasury/moves/${move!.id}/approve`, {}, '/admin/treasury')).status).toBe(303);
    expect((await coldMoves())[0]!.status).toBe('pending_review');
    expect((await bob.post(`/admin/treasury/moves/${move!.id}/approve`, {}, '/admin/treasury')).status).toBe(303);
    const done = await waitFor(
      'the cold transfer confirmed',
      async () => {
        const [m] = await coldMoves();
        if (m?.status === 'confirmed') return m;
        await world.node.mine(1);
        return undefined;
      },
      120_000,
    );
    expect(done.build_id).not.toBeNull();
    const received = await world.received(cold);
    expect(received).toEqual({ amount: 2n * LTC, txids: [done.txid] });
    const tx = await world.transaction(done.txid!);
    // Output 0 the cold address, exactly; output 1 the change, back to the wallet (recorded as its own output).
    expect(tx.outs[0]!.value).toBe(2n * LTC);
    const change = await world.fixtures
      .db('utxos')
      .where({ chain: 'ltc', txid: done.txid, vout: 1 })
      .first<{ account_id: string } | undefined>();
    expect(change?.account_id).toMatch(/^sys:/);
    const booked = () => world.fixtures.db('journal').where({ ref_id: done.build_id }).orderBy('amount').select('account_id', 'amount');
    await waitFor('its fee booked', async () => ((await booked()).length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await booked()).toEqual([
      { account_id: 'sys:fees:LTC', amount: `-${done.fee}` },
      { account_id: 'sys:chain:ltc:network_fees', amount: done.fee },
    ]);
    // The proof of reserves lists what the wallet holds of LTC: its outputs as the scanner recorded them, and the cold
    // address read from the node's UTXO set.
    const report = await walletctl(world.cluster, 'reserves', 'report', '--asset', 'LTC', '--json');
    expect(report.code, report.err.join('\n')).toBe(0);
    const holdings = (
      JSON.parse(report.out.join('\n')) as { holdings: { kind: string; address: string; balance: string }[]; holdingsTotal: string }
    ).holdings;
    expect(holdings.find((h) => h.kind === 'cold')).toEqual({ chain: 'ltc', kind: 'cold', address: cold, balance: (2n * LTC).toString() });
    const [[unspent]] = (await world.fixtures.db.raw(
      "SELECT CAST(SUM(amount) AS CHAR) AS s FROM utxos WHERE chain = 'ltc' AND spent_by_txid IS NULL",
    )) as [[{ s: string }]];
    const listed = holdings.filter((h) => h.kind !== 'cold').reduce((sum, h) => sum + BigInt(h.balance), 0n);
    expect(listed).toBe(BigInt(unspent.s));

    // Back at the cap (less the fee): no second transfer.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await coldMoves()).toHaveLength(1);
  });

  it('a refill sent from the cold address to the hot wallet is recognised once; a payment from elsewhere is not a refill', async () => {
    const hot = (await world.fixtures.db('hot_wallets').where({ chain: 'ltc' }).first<{ address: string }>('address')).address;
    // The cold wallet spends its own output (coin control: only the cold address's coins), 1.5 LTC to the hot wallet.
    const [coin] = await world.node.call<{ txid: string; vout: number; amount: number }[]>('listunspent', [1, 9_999_999, [cold]], true);
    expect(coin?.amount).toBe(2);
    const unsigned = await world.node.call<string>(
      'createrawtransaction',
      [[{ txid: coin!.txid, vout: coin!.vout }], { [hot]: 1.5, [cold]: 0.4999 }],
      true,
    );
    const signed = await world.node.call<{ hex: string; complete: boolean }>('signrawtransactionwithwallet', [unsigned], true);
    expect(signed.complete).toBe(true);
    const refillTxid = await world.node.call<string>('sendrawtransaction', [signed.hex]);
    // And a payment into the hot wallet from the node's other coins: not from cold.
    const other = await world.node.call<string>('sendtoaddress', [hot, 0.25], true);
    const refill = await waitFor(
      'the refill recognised',
      async () => {
        const rows = await world.fixtures
          .db('treasury_moves')
          .where({ chain: 'ltc', kind: 'refill' })
          .select<{ txid: string; status: string; from_address: string; amount: string }[]>(
            'txid',
            'status',
            'from_address',
            world.fixtures.db.raw('CAST(amount AS CHAR) AS amount'),
          );
        if (rows.length > 0) return rows;
        await world.node.mine(1);
        return undefined;
      },
      90_000,
    );
    expect(refill).toHaveLength(1);
    expect(refill[0]).toMatchObject({ txid: refillTxid, status: 'confirmed', from_address: cold, amount: (LTC + LTC / 2n).toString() });
    await world.node.mine(2);
    await new Promise((r) => setTimeout(r, 1500));
    const refills = await world.fixtures.db('treasury_moves').where({ chain: 'ltc', kind: 'refill' }).pluck<string[]>('txid');
    expect(refills).toEqual([refillTxid]);
    expect(refills).not.toContain(other);
  });
});
