import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockoutKeys } from '@wallet/withdrawal-protocol';
import { walletctl } from '../harness/clients.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Internal withdrawals (the destination is a deposit address of this wallet) survive kill -9 at each step of their
// settlement, and the loss of this cluster's Redis keys mid-flight: the withdrawal ends `confirmed` once, the sender
// is debited once, the receiver credited once (one internal deposit), the ledger check holds, nothing goes on chain.
// The sender is on t1; the receiver on t1 too (same node: credit in the settlement's transaction) or on t2 (other
// node: a transfer tied to the withdrawal, delivered by the transfer relay, credited once by t2).

let world: WithdrawalWorld;
const ETH = 10n ** 18n;
const AMOUNT = 300000000000000000n;
let hotNonceAtStart: number;

const hotNonce = () => world.provider.getTransactionCount(world.hotWallet, 'latest');

beforeAll(async () => {
  world = await WithdrawalWorld.start({ transrvNodes: ['t1', 't2'], ttlSeconds: 3 });
  hotNonceAtStart = await hotNonce();
});

afterAll(async () => {
  if (world) {
    expect(await world.fixtures.invariants()).toEqual([]);
    // Nothing of any case went on chain.
    await world.mine(2);
    expect(await hotNonce()).toBe(hotNonceAtStart);
  }
  await world?.stop();
});

type Topology = { readonly name: string; readonly receiverNode: 't1' | 't2' };
const SAME: Topology = { name: 'same node', receiverNode: 't1' };
const CROSS: Topology = { name: 'other node', receiverNode: 't2' };

/** A new funded account bound to `node` (accounts bind to the least-loaded node: open until one lands there). */
async function accountOn(node: string, funds: Record<string, bigint> = {}): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const id = await world.fundedAccount({});
    if ((await world.fixtures.nodeOf(id)) !== node) continue;
    for (const [asset, amount] of Object.entries(funds)) await world.fixtures.fund(id, asset, amount);
    return id;
  }
  throw new Error(`no account landed on ${node}`);
}

/** A sender on t1 funded with 1 ETH, a receiver on the topology's node, and the receiver's deposit address. */
async function parties(topology: Topology): Promise<{ sender: string; receiver: string; to: string }> {
  const sender = await accountOn('t1', { ETH });
  const receiver = await accountOn(topology.receiverNode);
  const res = await world.api.post<{ address: string }>(`/v1/accounts/${receiver}/addresses`, { chain: 'eth' });
  expect(res.status).toBe(201);
  return { sender, receiver, to: res.body.address };
}

/** SIGKILLs a transrv node and starts it again (with crash points, or none). */
async function restartTransrv(node: string, crashPoints = ''): Promise<void> {
  await world.cluster.process(`transrv-${node}`).stop('SIGKILL');
  await world.cluster.startTransrv(node, { WALLET_CRASH_POINTS: crashPoints });
}

/** Requests the internal withdrawal (retrying with its key while the gateway has not seen a restarted node yet). */
async function requestInternal(sender: string, to: string): Promise<string> {
  const key = `internal-${sender}`;
  const res = await waitFor('the withdrawal accepted', async () => {
    const r = await world.withdraw(sender, { asset: 'ETH', to, amount: AMOUNT.toString() }, key);
    return r.status === 503 ? undefined : r;
  });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ status: 'pending_review', fee: '0', to });
  const row = await world.fixtures.db('withdrawals').where({ id: res.body.id }).first<{ internal_account_id: string | null }>();
  expect(row.internal_account_id).not.toBeNull();
  return res.body.id;
}

/** The books of one withdrawal straight from MySQL (readable while a node is down). */
async function books(id: string, sender: string, receiver: string) {
  const db = world.fixtures.db;
  const w = await db('withdrawals').where({ id }).first<{ status: string }>();
  const balance = async (account: string) => {
    const b = await db('balances').where({ account_id: account, asset: 'ETH' }).first<{ available: string; frozen: string } | undefined>();
    return { available: BigInt(b?.available ?? 0), frozen: BigInt(b?.frozen ?? 0) };
  };
  const transfers = (await db('transfers').where({ withdrawal_id: id })) as { id: string; status: string }[];
  const credits =
    transfers.length === 0
      ? []
      : await db('transfer_credits').whereIn(
          'transfer_id',
          transfers.map((t) => t.id),
        );
  return {
    status: w.status,
    sender: await balance(sender),
    receiver: await balance(receiver),
    deposits: ((await db('deposits').where({ withdrawal_id: id })) as unknown[]).length,
    transfers: transfers.map((t) => t.status),
    credits: (credits as unknown[]).length,
    receiverLines: ((await db('journal').where({ account_id: receiver })) as unknown[]).length,
  };
}

/** Nothing of the settlement happened: still approved, frozen, nobody credited. */
async function expectUnsettled(id: string, sender: string, receiver: string): Promise<void> {
  expect(await books(id, sender, receiver)).toEqual({
    status: 'approved',
    sender: { available: ETH - AMOUNT, frozen: AMOUNT },
    receiver: { available: 0n, frozen: 0n },
    deposits: 0,
    transfers: [],
    credits: 0,
    receiverLines: 0,
  });
  expect(await world.fixtures.invariants()).toEqual([]);
}

/**
 * The end state every case must reach: confirmed once and internal, the sender debited once, the receiver credited
 * once with one internal deposit (across nodes: the transfer acknowledged, one credit), the ledger check holds
 * (in-process and through walletctl), no transaction signed, sent or mined.
 */
async function expectSettledOnce(id: string, sender: string, receiver: string, to: string, topology: Topology): Promise<void> {
  const confirmed = await waitFor(
    'the withdrawal confirmed',
    async () => {
      const w = await world.get(id).catch(() => undefined); // 503 while the gateway has not seen a restarted node
      if (w && w.status !== 'approved' && w.status !== 'pending_review' && w.status !== 'confirmed') throw new Error(`ended ${w.status}`);
      return w?.status === 'confirmed' ? w : undefined;
    },
    60_000,
  );
  expect(confirmed).toMatchObject({ status: 'confirmed', fee: '0', txid: null, internal: true });
  if (topology === CROSS) {
    await waitFor('the credit acknowledged', async () =>
      (await world.fixtures.db('transfers').where({ withdrawal_id: id, status: 'completed' }).first()) ? true : undefined,
    );
  }
  await waitFor('the receiver served', async () => ((await world.balances(receiver, 'ETH').catch(() => undefined)) ? true : undefined));
  expect(await books(id, sender, receiver)).toEqual({
    status: 'confirmed',
    sender: { available: ETH - AMOUNT, frozen: 0n },
    receiver: { available: AMOUNT, frozen: 0n },
    deposits: 1,
    transfers: topology === CROSS ? ['completed'] : [],
    credits: topology === CROSS ? 1 : 0,
    receiverLines: 1,
  });
  // Through the API as the client sees it.
  expect(await world.balances(sender, 'ETH')).toEqual({ available: ETH - AMOUNT, frozen: 0n });
  expect(await world.balances(receiver, 'ETH')).toEqual({ available: AMOUNT, frozen: 0n });
  const listed = await world.api.get<{ data: unknown[] }>(`/v1/accounts/${receiver}/deposits`);
  expect(listed.body.data).toEqual([
    expect.objectContaining({ address: to, asset: 'ETH', amount: AMOUNT.toString(), status: 'credited', internal: true, txid: null }),
  ]);
  // The sender's frozen amount spent once (one spend line), moved to confirmed once.
  const spends = await world.fixtures.db('journal').where({ account_id: sender, kind: 'withdrawal_spend' });
  expect(spends.map((l: { amount: string; bucket: string }) => [l.bucket, BigInt(l.amount)])).toEqual([['frozen', -AMOUNT]]);
  const trail = await world.fixtures.db('withdrawal_events').where({ withdrawal_id: id }).orderBy('id');
  expect(trail.map((e: { from_status: string | null; to_status: string }) => `${e.from_status ?? '-'}>${e.to_status}`)).toEqual([
    '->pending_review',
    'pending_review>approved',
    'approved>confirmed',
  ]);
  // Nothing signed, no nonce taken, nothing sent.
  expect(await world.txsOf(id)).toEqual([]);
  expect(await world.fixtures.db('nonce_assignments').where({ withdrawal_id: id })).toEqual([]);
  expect(await hotNonce()).toBe(hotNonceAtStart);
  expect(await world.fixtures.invariants()).toEqual([]);
  const check = await walletctl(world.cluster, 'ledger', 'check');
  expect({ code: check.code, first: check.out[0] }).toEqual({ code: 0, first: 'ledger invariants hold' });
}

async function approve(id: string): Promise<void> {
  await world.signsrv.received(id);
  const approved = await world.signsrv.approve(id);
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ decision: 'approved', txid: null, nonce: null });
}

/** Deletes this cluster's Redis keys (`wallet:<env>:*`) only: the Redis is shared. @returns how many */
async function deleteClusterKeys(): Promise<number> {
  const pattern = `wallet:${world.cluster.env}:*`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await world.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await world.redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Whether blockout_rsp holds signsrv's report of `type` about the withdrawal. */
async function reported(id: string, type: string): Promise<boolean> {
  const entries = await world.redis.xrange(blockoutKeys(world.cluster.env).rsp, '-', '+');
  return entries.some(([, fields]) => {
    const m = JSON.parse(fields[fields.indexOf('m') + 1] ?? '{}') as { withdrawalId?: string; type?: string };
    return m.withdrawalId === id && m.type === type;
  });
}

describe.each([SAME, CROSS])('internal withdrawal, receiver on the $name, survives', (topology) => {
  it.each([
    ['right before the settlement commit: nothing settled', 'transrv.internal.before_commit'],
    ['after the credit was written in its open transaction: rolled back', 'transrv.internal.after_credit'],
  ])('kill -9 of the sending transrv %s, settled once after the restart', async (_when, point) => {
    const { sender, receiver, to } = await parties(topology);
    await restartTransrv('t1', point);
    const id = await requestInternal(sender, to);
    await approve(id);
    await world.cluster.process('transrv-t1').exited;
    await expectUnsettled(id, sender, receiver);
    await world.cluster.startTransrv('t1');
    await expectSettledOnce(id, sender, receiver, to, topology);
  });

  it('kill -9 of the sending transrv right after the settlement commit (credit not yet delivered): delivered once after the restart', async () => {
    const { sender, receiver, to } = await parties(topology);
    await restartTransrv('t1', 'transrv.internal.after_commit');
    const id = await requestInternal(sender, to);
    await approve(id);
    await world.cluster.process('transrv-t1').exited;
    // Committed: confirmed and the sender debited; the same node's credit is in that transaction, another node's is in
    // transit (the transfer pending, nothing credited there yet), and the books balance meanwhile.
    expect(await books(id, sender, receiver)).toEqual({
      status: 'confirmed',
      sender: { available: ETH - AMOUNT, frozen: 0n },
      receiver: { available: topology === SAME ? AMOUNT : 0n, frozen: 0n },
      deposits: topology === SAME ? 1 : 0,
      transfers: topology === SAME ? [] : ['pending_credit'],
      credits: 0,
      receiverLines: topology === SAME ? 1 : 0,
    });
    expect(await world.fixtures.invariants()).toEqual([]);
    await world.cluster.startTransrv('t1');
    await expectSettledOnce(id, sender, receiver, to, topology);
  });

  it('Redis keys of the cluster deleted mid-flight (request relayed, decision reported, credit in transit): re-sent from MySQL, settled once', async () => {
    const { sender, receiver, to } = await parties(topology);
    // 1. The request relayed into blockout_req while signsrv is down, then wiped.
    await world.cluster.process('signsrv').stop('SIGKILL');
    const id = await requestInternal(sender, to);
    await waitFor('the request relayed', async () =>
      (await world.fixtures.db('withdrawal_outbox').where({ withdrawal_id: id }).where('sent_count', '>', 0).first()) ? true : undefined,
    );
    expect(await deleteClusterKeys()).toBeGreaterThan(0);
    await world.cluster.startSignsrv();
    // 2. The approval reported on blockout_rsp while the sending node is down, then wiped; the node restarts with a
    // crash right after its settlement commit, so 3. the keys are wiped again while the credit is in flight.
    await world.cluster.process('transrv-t1').stop('SIGKILL');
    await approve(id);
    await waitFor('the approval reported', async () => ((await reported(id, 'approved')) ? true : undefined));
    expect(await deleteClusterKeys()).toBeGreaterThan(0);
    await world.cluster.startTransrv('t1', { WALLET_CRASH_POINTS: 'transrv.internal.after_commit' });
    await world.cluster.process('transrv-t1').exited;
    expect((await books(id, sender, receiver)).status).toBe('confirmed');
    await deleteClusterKeys();
    await world.cluster.startTransrv('t1');
    await expectSettledOnce(id, sender, receiver, to, topology);
  });
});

describe('internal withdrawal, receiver on the other node, survives', () => {
  it('the receiving transrv killed (-9) before the credit reached it: nothing credited meanwhile, credited once after its restart', async () => {
    const { sender, receiver, to } = await parties(CROSS);
    await world.cluster.process('transrv-t2').stop('SIGKILL');
    const id = await requestInternal(sender, to);
    await approve(id);
    await waitFor('a failed delivery recorded', async () =>
      (await world.fixtures.db('transfers').where({ withdrawal_id: id }).where('delivery_attempts', '>', 0).first()) ? true : undefined,
    );
    expect(await books(id, sender, receiver)).toEqual({
      status: 'confirmed',
      sender: { available: ETH - AMOUNT, frozen: 0n },
      receiver: { available: 0n, frozen: 0n },
      deposits: 0,
      transfers: ['pending_credit'],
      credits: 0,
      receiverLines: 0,
    });
    expect(await world.fixtures.invariants()).toEqual([]);
    await world.cluster.startTransrv('t2');
    await expectSettledOnce(id, sender, receiver, to, CROSS);
  });

  it('kill -9 of the receiving transrv after its credit commit, before it acknowledged: the sender delivers again, credited once', async () => {
    const { sender, receiver, to } = await parties(CROSS);
    await restartTransrv('t2', 'transrv.internal_credit.after_commit');
    const id = await requestInternal(sender, to);
    await approve(id);
    await world.cluster.process('transrv-t2').exited;
    // Credited on t2 (committed) but not acknowledged: the sender's transfer is still pending and will be delivered again.
    expect(await books(id, sender, receiver)).toEqual({
      status: 'confirmed',
      sender: { available: ETH - AMOUNT, frozen: 0n },
      receiver: { available: AMOUNT, frozen: 0n },
      deposits: 1,
      transfers: ['pending_credit'],
      credits: 1,
      receiverLines: 1,
    });
    expect(await world.fixtures.invariants()).toEqual([]);
    await waitFor('a failed delivery recorded', async () =>
      (await world.fixtures.db('transfers').where({ withdrawal_id: id }).where('delivery_attempts', '>', 0).first()) ? true : undefined,
    );
    await world.cluster.startTransrv('t2');
    await expectSettledOnce(id, sender, receiver, to, CROSS);
  });
});
