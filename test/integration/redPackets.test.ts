import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { waitFor } from '../harness/waitFor.js';

// Red packets through the whole cluster (issue 17): 500 concurrent claims by accounts on two transrv nodes, retried
// with their keys; expiry refunds; bad requests refused with nothing frozen. The ledger invariants hold at the end.

type RedPacket = {
  id: string;
  from: string;
  total: string;
  count: number;
  mode: string;
  claimedCount: number;
  claimedAmount: string;
  refunded: string;
  status: string;
  claims: { accountId: string; amount: string; transferId: string }[];
};
type Claim = { redPacketId: string; accountId: string; amount: string; transferId: string };
type Balance = { asset: string; available: string; frozen: string };
type Failure = { error: { code: string; details?: Record<string, unknown> } };

let cluster: Cluster;
let api: ApiClient;
let fixtures: LedgerFixtures;
let sender: string;
const claimers: string[] = [];
const ETH = 10n ** 18n;

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1', 't2'], extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Lucky Exchange'));
  sender = (await api.post<{ id: string }>('/v1/accounts', { externalId: 'sender' })).body.id;
  await fixtures.fund(sender, 'ETH', 10n * ETH);
  for (let i = 0; i < 500; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: 50 }, (_, j) => api.post<{ id: string }>('/v1/accounts', { externalId: `claimer-${i + j}` })),
    );
    claimers.push(...batch.map((r) => r.body.id));
  }
}, 240_000);

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

const balance = async (accountId: string): Promise<Balance> =>
  (await api.get<{ data: Balance[] }>(`/v1/accounts/${accountId}/balances`)).body.data.find((b) => b.asset === 'ETH')!;
const make = (body: Record<string, unknown>) =>
  api.post<RedPacket>('/v1/red-packets', { from: sender, asset: 'ETH', mode: 'random', expiresIn: 3600, ...body });

describe('red packets', () => {
  it('500 concurrent claims on 400 random shares across two nodes: 400 paid once each, exact sum; retries answer the same', async () => {
    const before = await balance(sender);
    const made = await make({ total: ETH.toString(), count: 400 });
    expect(made.status).toBe(201);
    const rp = made.body;
    expect(rp).toMatchObject({ from: sender, total: ETH.toString(), count: 400, status: 'open', claimedCount: 0, claims: [] });
    expect(await balance(sender)).toMatchObject({
      available: (BigInt(before.available) - ETH).toString(),
      frozen: (BigInt(before.frozen) + ETH).toString(),
    });
    // The claimers live on both nodes, so claims cross nodes both ways.
    const nodes = await fixtures.db('accounts').whereIn('id', claimers).select<{ id: string; node_id: string }[]>('id', 'node_id');
    expect(new Set(nodes.map((n) => n.node_id))).toEqual(new Set(['t1', 't2']));

    // As a client would: a timed-out claim (every claim of one packet queues on its row) is retried with its key.
    let retried = 0;
    const claim = async (accountId: string) => {
      for (;;) {
        const res = await api.post<Claim & Failure>(
          `/v1/red-packets/${rp.id}/claim`,
          { accountId },
          { idempotencyKey: `claim-${accountId}` },
        );
        const busy = res.status === 503 || res.status === 504 || (res.status === 409 && res.body.error.code === 'IDEMPOTENCY_IN_PROGRESS');
        if (!busy) return res;
        retried++;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const answers = await Promise.all(claimers.map(claim));
    const won = answers.filter((a) => a.status === 201).map((a) => a.body);
    const lost = answers.filter((a) => a.status !== 201);
    expect(won).toHaveLength(400);
    expect(lost.map((a) => [a.status, a.body.error.code])).toEqual(Array(100).fill([409, 'RED_PACKET_EMPTY']));
    expect(new Set(won.map((c) => c.accountId)).size).toBe(400);
    expect(won.every((c) => BigInt(c.amount) >= 1n)).toBe(true);
    expect(won.reduce((a, c) => a + BigInt(c.amount), 0n)).toBe(ETH);
    console.log(`500 claims: ${won.length} shares, ${lost.length} refused as empty, ${retried} retried answers`);

    // Retried with the same keys: the same shares, nothing paid twice.
    const again = await Promise.all(claimers.slice(0, 100).map(claim));
    for (const a of again.filter((r) => r.status === 201)) {
      expect(won.find((c) => c.accountId === a.body.accountId)?.amount).toBe(a.body.amount);
    }
    const state = (await api.get<RedPacket>(`/v1/red-packets/${rp.id}`)).body;
    expect(state).toMatchObject({ status: 'exhausted', claimedCount: 400, claimedAmount: ETH.toString() });
    expect(state.claims).toHaveLength(400);
    // Every share reaches its account, across nodes too; the sender's frozen is back where it was.
    await waitFor(
      'every share credited',
      async () => {
        const pending = await fixtures.db('transfers').where({ status: 'pending_credit' }).count({ n: '*' });
        return Number((pending[0] as { n: number | string }).n) === 0 ? true : undefined;
      },
      60_000,
    );
    let received = 0n;
    for (const c of won) received += BigInt((await balance(c.accountId)).available);
    expect(received).toBe(ETH);
    expect((await balance(sender)).frozen).toBe(before.frozen);
  }, 300_000);

  it('expires: what nobody claimed goes back to the sender once; a claim after that is refused', async () => {
    const before = await balance(sender);
    const rp = (await make({ total: '900', count: 3, mode: 'equal', expiresIn: 60 })).body;
    const first = await api.post<Claim>(`/v1/red-packets/${rp.id}/claim`, { accountId: claimers[0] });
    expect(first.status).toBe(201);
    expect(first.body.amount).toBe('300');
    const other = await api.post<Failure>(`/v1/red-packets/${rp.id}/claim`, { accountId: claimers[0] });
    expect([other.status, other.body.error.code]).toEqual([409, 'RED_PACKET_ALREADY_CLAIMED']);
    // The deadline passes (60 s is the shortest a client may ask for: the test moves it instead of waiting).
    await fixtures
      .db('red_packets')
      .where({ id: rp.id })
      .update({ expires_at: fixtures.db.raw('CURRENT_TIMESTAMP(3)') });
    const expired = await waitFor('expired', async () => {
      const p = (await api.get<RedPacket>(`/v1/red-packets/${rp.id}`)).body;
      return p.status === 'expired' ? p : undefined;
    });
    expect(expired).toMatchObject({ refunded: '600', claimedAmount: '300' });
    expect(await balance(sender)).toMatchObject({ available: (BigInt(before.available) - 300n).toString(), frozen: before.frozen });
    const late = await api.post<Failure>(`/v1/red-packets/${rp.id}/claim`, { accountId: claimers[1] });
    expect([late.status, late.body.error.code]).toEqual([409, 'RED_PACKET_EXPIRED']);
    await fixtures.outboxDrained();
    const events = await api.get<{ data: { type: string; resourceId: string }[] }>('/v1/events?after=0&limit=1000');
    expect(events.body.data.filter((e) => e.resourceId === rp.id).map((e) => e.type)).toEqual([
      'red_packet.created',
      'red_packet.claimed',
      'red_packet.expired',
    ]);
  });

  it('refuses bad requests with a clear error and freezes nothing', async () => {
    const before = await balance(sender);
    const bad: [string, Record<string, unknown>, number, string][] = [
      ['count 0', { total: '10', count: 0 }, 400, 'VALIDATION_FAILED'],
      ['count 1001', { total: '10000', count: 1001 }, 400, 'VALIDATION_FAILED'],
      ['total below count', { total: '3', count: 4 }, 400, 'VALIDATION_FAILED'],
      ['zero total', { total: '0', count: 1 }, 400, 'VALIDATION_FAILED'],
      ['an unknown mode', { total: '10', count: 2, mode: 'lucky' }, 400, 'VALIDATION_FAILED'],
      ['expiresIn too short', { total: '10', count: 2, expiresIn: 59 }, 400, 'VALIDATION_FAILED'],
      ['a field too many', { total: '10', count: 2, claimed: '5' }, 400, 'VALIDATION_FAILED'],
      ['an unknown asset', { total: '10', count: 2, asset: 'DOGE' }, 422, 'UNSUPPORTED_ASSET'],
      ['more than the sender has', { total: (100n * ETH).toString(), count: 2 }, 422, 'INSUFFICIENT_FUNDS'],
      ['an unknown sender', { total: '10', count: 2, from: 'acc_01NOPE' }, 404, 'ACCOUNT_NOT_FOUND'],
    ];
    for (const [name, body, status, code] of bad) {
      const res = await api.post<Failure>('/v1/red-packets', { from: sender, asset: 'ETH', mode: 'random', expiresIn: 3600, ...body });
      expect(res.status, name).toBe(status);
      expect(res.body.error.code, name).toBe(code);
    }
    expect(await balance(sender)).toEqual(before);
    const rp = (await make({ total: '10', count: 2 })).body;
    const noAccount = await api.post<Failure>(`/v1/red-packets/${rp.id}/claim`, { accountId: 'acc_01NOPE' });
    expect([noAccount.status, noAccount.body.error.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    const noPacket = await api.post<Failure>('/v1/red-packets/rpk_01AAAAAAAAAAAAAAAAAAAAAAAA/claim', { accountId: claimers[0] });
    expect([noPacket.status, noPacket.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await api.post<Failure>(`/v1/red-packets/${rp.id}/claim`, {})).status).toBe(400);
    // Another client can neither read nor claim it.
    const other = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Other Exchange'));
    expect((await other.get(`/v1/red-packets/${rp.id}`)).status).toBe(404);
    expect((await fetch(`${cluster.gatewayUrl}/v1/red-packets/${rp.id}`)).status).toBe(401);
  });
});
