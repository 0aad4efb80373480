import { randomBytes } from 'node:crypto';
import { parseEther, id as selector } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../contracts/loadArtifact.js';
import { walletctl } from '../harness/clients.js';
import { ConsoleSession } from '../harness/consoleSession.js';
import { waitFor } from '../harness/waitFor.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';

// The treasury's tiers and reviewed moves through the whole cluster on the stack's anvil (issue 16): the excess of the
// hot wallet over its cap becomes a cold transfer that two admins approve in the console before signsrv signs it; a
// hot wallet under its floor raises the alarm, and a refill from the cold address is recognised when it lands; a
// contract is deployed and called through the same review (asked with walletctl), and a call that would revert ends
// failed. The books (walletctl ledger check) and reconciliation hold throughout.

let world: WithdrawalWorld;
let alice: ConsoleSession;
let bob: ConsoleSession;
const CAP = parseEther('99000'); // WithdrawalWorld funds the hot wallet with 100,000 ETH
const FLOOR = parseEther('50000');
const COLD = `0x${randomBytes(20).toString('hex')}`;

type MoveRow = {
  id: string;
  kind: string;
  status: string;
  amount: string;
  to_address: string | null;
  txid: string | null;
  fee: string | null;
  contract_address: string | null;
  reason: string | null;
};
const movesOf = (kind: string): Promise<MoveRow[]> =>
  world.fixtures
    .db('treasury_moves')
    .where({ kind })
    .orderBy('id')
    .select<MoveRow[]>('*', world.fixtures.db.raw('CAST(amount AS CHAR) AS amount'));
const moveById = async (id: string): Promise<MoveRow> => await world.fixtures.db('treasury_moves').where({ id }).first<MoveRow>();

/** Polls `probe`, mining a block between polls (moves and refills need confirmations). */
function mining<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  return waitFor(
    what,
    async () => {
      const value = await probe();
      if (value === undefined) await world.mine(1);
      return value;
    },
    timeoutMs,
  );
}

/** Both admins approve the move in the console; it is approved only with the second. */
async function approveInConsole(id: string): Promise<void> {
  const first = await alice.post(`/admin/treasury/moves/${id}/approve`, {}, '/admin/treasury');
  expect(first.status).toBe(303);
  expect((await moveById(id)).status).toBe('pending_review');
  const second = await bob.post(`/admin/treasury/moves/${id}/approve`, {}, '/admin/treasury');
  expect(second.status).toBe(303);
  expect((await moveById(id)).status).not.toBe('pending_review');
}

/** Asks for a contract call with walletctl (as the operator at the database host). @returns the move's id */
async function askCall(...args: string[]): Promise<string> {
  const res = await walletctl(world.cluster, 'treasury', 'call', '--chain', 'eth', ...args, '--json');
  expect(res.code, res.err.join('\n')).toBe(0);
  return (JSON.parse(res.out.join('\n')) as { id: string }).id;
}

const final = (id: string) =>
  mining(`move ${id} final`, async () => {
    const m = await moveById(id);
    return m.status === 'confirmed' || m.status === 'failed' ? m : undefined;
  });

beforeAll(async () => {
  world = await WithdrawalWorld.start({
    extraEnv: {
      SIGNSRV_TIERS: JSON.stringify({ ETH: { cap: CAP.toString(), floor: FLOOR.toString(), cold: COLD } }),
      SIGNSRV_TREASURY_MS: '300',
      // A pass every 30 s on the schedule, and one after each settlement batch (here: the moves' booked fees).
      SIGNSRV_RECONCILE_MS: '30000',
      SIGNSRV_RECONCILE_SETTLEMENT_MS: '500',
      SIGNSRV_RECONCILE_TOLERANCE: JSON.stringify({ ETH: (10n ** 16n).toString() }),
    },
  });
  const base = `${world.cluster.signsrvUrl}/console`;
  alice = await ConsoleSession.create(world.fixtures.db, base, 'alice', 'admin');
  bob = await ConsoleSession.create(world.fixtures.db, base, 'bob', 'admin');
}, 240_000);

afterAll(async () => {
  if (world) {
    expect(await world.fixtures.invariants()).toEqual([]);
    const check = await walletctl(world.cluster, 'ledger', 'check');
    expect(check.code, check.out.join('\n')).toBe(0);
    // The books against the chain now, as a reconciliation pass measures them: no asset short.
    const measured = await walletctl(world.cluster, 'treasury', 'check');
    expect(measured.code, measured.out.join('\n')).toBe(0);
    // Reconciliation holds: ETH's latest pass is not short, and nothing is halted.
    const [last] = await world.fixtures.db('reconciliation_runs').where({ asset: 'ETH' }).orderBy('id', 'desc').limit(1);
    expect(last).toMatchObject({ short: 0, halted: 0 });
    expect(await world.fixtures.db('asset_signing_halts').where({ halted: 1 })).toEqual([]);
    // Every transaction the hot wallet sent is known to the scanner: a withdrawal or a reviewed move.
    expect(await world.fixtures.db('node_alerts').where({ kind: 'unknown_hot_wallet_tx' })).toEqual([]);
    // Each log line writes each key once (a child logger's `chain` was repeated by the line: issue 18).
    expect(world.cluster.duplicateKeyLines()).toEqual([]);
  }
  await world?.stop();
});

describe('the treasury through the cluster', { timeout: 240_000 }, () => {
  it('the excess over the cap goes to cold only after two admins approve it; its gas is booked to the exchange', async () => {
    const [move] = await waitFor('a cold transfer planned', async () => {
      const moves = await movesOf('cold_transfer');
      return moves.length > 0 ? moves : undefined;
    });
    const hot = await world.provider.getBalance(world.hotWallet);
    expect(move).toMatchObject({ status: 'pending_review', to_address: expect.stringMatching(new RegExp(COLD.slice(2), 'i')) });
    expect(BigInt(move!.amount)).toBe(hot - CAP);
    // One at a time: later passes plan no second one while it waits.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await movesOf('cold_transfer')).toHaveLength(1);
    expect(await world.provider.getBalance(COLD)).toBe(0n);
    // The console shows it with its tiers; an auditor may not see the treasury.
    const page = await alice.request('GET', '/admin/treasury');
    expect(page.body).toContain(`data-move="${move!.id}"`);
    await approveInConsole(move!.id);
    const done = await final(move!.id);
    expect(done.status).toBe('confirmed');
    expect(await world.provider.getBalance(COLD)).toBe(BigInt(move!.amount));
    const booked = await mining('its fee booked', async () => {
      const [[row]] = (await world.fixtures.db.raw(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM journal WHERE entry_id = ? AND account_id = 'sys:chain:eth:network_fees'",
        [`${move!.id}:fee`],
      )) as [[{ s: string }]];
      return BigInt(row.s) > 0n ? BigInt(row.s) : undefined;
    });
    expect(booked).toBe(BigInt(done.fee!));
    // The booking is a settlement batch: a reconciliation pass of ETH follows it, and holds.
    const bookedAt = (
      await world.fixtures
        .db('journal')
        .where({ entry_id: `${move!.id}:fee` })
        .first<{ created_at: Date }>()
    ).created_at;
    const pass = await waitFor('a pass after the settlement', async () =>
      world.fixtures
        .db('reconciliation_runs')
        .where({ asset: 'ETH', triggered_by: 'settlement' })
        .andWhere('created_at', '>=', bookedAt)
        .first<{ short: number; halted: number } | undefined>(),
    );
    expect(pass).toMatchObject({ short: 0, halted: 0 });
    // walletctl treasury shows the tiers and the hot wallet's last measure.
    const view = await walletctl(world.cluster, 'treasury', '--json');
    const eth = (JSON.parse(view.out.join('\n')) as { asset: string; tiers: { cap: string; floor: string; cold: string } | null }[]).find(
      (r) => r.asset === 'ETH',
    );
    expect(eth?.tiers).toMatchObject({ cap: CAP.toString(), floor: FLOOR.toString() });
    expect(eth?.tiers?.cold.toLowerCase()).toBe(COLD);
  });

  it('under the floor: one alarm; a refill from the cold address is recognised when it lands, and ends the episode', async () => {
    await world.provider.send('anvil_setBalance', [world.hotWallet, `0x${parseEther('40000').toString(16)}`]);
    await world.mine(1);
    const alarm = await waitFor('the floor alarm', async () => {
      const rows = await world.fixtures.db('sign_alerts').where({ kind: 'hot_wallet_below_floor' });
      return rows.length > 0 ? rows : undefined;
    });
    expect(alarm).toHaveLength(1);
    expect(JSON.parse(alarm[0].details as string)).toMatchObject({
      asset: 'ETH',
      floor: FLOOR.toString(),
      missing: parseEther('10000').toString(),
    });
    // The refill, sent from the cold wallet (impersonated on anvil: its keys are not here).
    await world.provider.send('anvil_setBalance', [COLD, `0x${parseEther('100000').toString(16)}`]);
    await world.provider.send('anvil_impersonateAccount', [COLD]);
    const hash = (await world.provider.send('eth_sendTransaction', [
      { from: COLD, to: world.hotWallet, value: `0x${parseEther('30000').toString(16)}` },
    ])) as string;
    const refill = await mining('the refill recognised', async () => (await movesOf('refill')).find((m) => m.txid === hash));
    expect(refill).toMatchObject({ status: 'confirmed', amount: parseEther('30000').toString() });
    await waitFor('the episode ended', async () =>
      (await world.fixtures.db('treasury_tiers').where({ asset: 'ETH' }).first()).below_floor_since === null ? true : undefined,
    );
    expect(await world.fixtures.db('sign_alerts').where({ kind: 'hot_wallet_below_floor' })).toHaveLength(1);
    expect(await movesOf('refill')).toHaveLength(1);
  });

  it('a contract is deployed and called through review; a call that would revert ends failed', async () => {
    const gate = loadArtifact('Gate');
    const deploy = await askCall('--data', gate.bytecode, '--note', 'a gate');
    expect((await moveById(deploy)).status).toBe('pending_review');
    // The one who asked cannot approve it (walletctl:<user> is not a console user either way); two admins do.
    await approveInConsole(deploy);
    const deployed = await final(deploy);
    expect(deployed.status).toBe('confirmed');
    const address = deployed.contract_address!;
    expect((await world.provider.getCode(address)).length).toBeGreaterThan(2);
    const isOpen = async () => BigInt(await world.provider.call({ to: address, data: selector('open()').slice(0, 10) }));
    expect(await isOpen()).toBe(1n);

    const close = await askCall('--to', address, '--data', selector('close()').slice(0, 10));
    await approveInConsole(close);
    expect((await final(close)).status).toBe('confirmed');
    expect(await isOpen()).toBe(0n);

    const pay = await askCall('--to', address, '--data', '0x', '--value', '1000');
    await approveInConsole(pay);
    expect(await final(pay)).toMatchObject({ status: 'failed', reason: 'would_revert', txid: null });

    const listed = await walletctl(world.cluster, 'treasury', 'moves', '--kind', 'contract_call', '--json');
    expect((JSON.parse(listed.out.join('\n')) as { id: string; status: string }[]).map((m) => [m.id, m.status])).toEqual([
      [pay, 'failed'],
      [close, 'confirmed'],
      [deploy, 'confirmed'],
    ]);
    // Bad input through walletctl changes nothing.
    const before = (await movesOf('contract_call')).length;
    await expect(walletctl(world.cluster, 'treasury', 'call', '--chain', 'eth', '--to', '0x12', '--data', '0x')).rejects.toMatchObject({
      code: 'INVALID_ADDRESS',
    });
    await expect(walletctl(world.cluster, 'treasury', 'call', '--chain', 'eth', '--data', '0xzz')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect((await movesOf('contract_call')).length).toBe(before);
  });
});
