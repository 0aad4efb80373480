import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient, walletctl } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';

type Balance = { asset: string; available: string };

let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;
const accounts: string[] = [];
const START = 10_000n;

async function available(id: string): Promise<bigint> {
  const res = await api.get<{ data: Balance[] }>(`/v1/accounts/${id}/balances`);
  expect(res.status).toBe(200);
  return BigInt(res.body.data.find((b) => b.asset === 'ETH')!.available);
}

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1', 't2'], extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Busy'));
  for (let i = 0; i < 20; i++) {
    const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `user-${i}` });
    accounts.push(res.body.id);
    await fixtures.fund(res.body.id, 'ETH', START);
  }
});

afterAll(async () => {
  await fixtures?.close();
  await cluster?.stop();
});

describe('1,000 concurrent internal transfers among 20 accounts on two transrv nodes', () => {
  it('leaves no negative balance, conserves the total, and keeps the ledger invariant', async () => {
    const nodes = await Promise.all(accounts.map((a) => fixtures.nodeOf(a)));
    expect(new Set(nodes)).toEqual(new Set(['t1', 't2'])); // the accounts really are spread over both nodes

    const plan = fc.sample(fc.tuple(fc.nat(19), fc.nat(18), fc.integer({ min: 1, max: 3000 })), { numRuns: 1000, seed: 2026 });
    // All 1,000 are sent at once. Like a real back office, a request that got a retryable answer (busy,
    // timed out, in progress) is sent again with the same Idempotency-Key until it gets a final one.
    let retries = 0;
    const send = async (body: object, key: string) => {
      for (;;) {
        const res = await api.post<{ id?: string; error?: { code: string } }>('/v1/transfers', body, { idempotencyKey: key });
        if (res.status === 201 || res.status === 422) return res;
        expect([409, 503, 504]).toContain(res.status);
        retries++;
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
      }
    };
    const results = await Promise.all(
      plan.map(([f, t, amount], i) => {
        const to = t >= f ? t + 1 : t; // never the sender itself
        return send({ from: accounts[f], to: accounts[to], asset: 'ETH', amount: String(amount) }, `burst-${i}`);
      }),
    );
    const outcomes = results.map((r) => (r.status === 201 ? 'ok' : r.body.error?.code));
    expect([...new Set(outcomes)].filter((o) => o !== 'ok' && o !== 'INSUFFICIENT_FUNDS')).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(500);
    // Exactly once: one transfer row per accepted request, however many times it was retried.
    const [[{ n: rows }]] = (await fixtures.db.raw("SELECT COUNT(*) AS n FROM transfers WHERE idempotency_key LIKE 'burst-%'")) as [
      [{ n: number }],
    ];
    expect(Number(rows)).toBe(outcomes.filter((o) => o === 'ok').length);
    console.info(`1,000 transfers: ${outcomes.filter((o) => o === 'ok').length} accepted, ${retries} retried answers`);
    const crossNode = plan.filter(([f, t]) => nodes[f] !== nodes[t >= f ? t + 1 : t]).length;
    expect(crossNode).toBeGreaterThan(300);

    // Cross-node credits complete inline or through the relay; wait until none is pending.
    for (let i = 0; i < 100; i++) {
      const [[{ n }]] = (await fixtures.db.raw("SELECT COUNT(*) AS n FROM transfers WHERE status = 'pending_credit'")) as [[{ n: number }]];
      if (Number(n) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const balances = await Promise.all(accounts.map(available));
    expect(balances.every((b) => b >= 0n)).toBe(true);
    expect(balances.reduce((s, b) => s + b, 0n)).toBe(START * 20n);
    expect(await fixtures.invariants()).toEqual([]);
    const check = await walletctl(cluster, 'ledger', 'check');
    expect(check.code).toBe(0);
    expect(check.out[0]).toBe('ledger invariants hold');
  });

  it('50 parallel copies of one cross-node request with one Idempotency-Key create one transfer', async () => {
    const nodes = await Promise.all(accounts.map((a) => fixtures.nodeOf(a)));
    const from = accounts[nodes.indexOf('t1')]!;
    const to = accounts[nodes.indexOf('t2')]!;
    const key = randomUUID();
    const before = await available(from);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        api.post<{ id: string }>('/v1/transfers', { from, to, asset: 'ETH', amount: '11' }, { idempotencyKey: key }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of results.filter((r) => r.status !== 201)) expect(r.status).toBe(409);
    const [[{ n }]] = (await fixtures.db.raw('SELECT COUNT(*) AS n FROM transfers WHERE idempotency_key = ?', [key])) as [[{ n: number }]];
    expect(Number(n)).toBe(1);
    expect(await available(from)).toBe(before - 11n);
    expect(await fixtures.invariants()).toEqual([]);
  });
});
