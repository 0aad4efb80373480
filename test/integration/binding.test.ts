import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient, walletctl } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';

let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;

async function openAccounts(n: number): Promise<{ id: string; node: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `user-${randomUUID()}` });
    expect(res.status).toBe(201);
    out.push({ id: res.body.id, node: await fixtures.nodeOf(res.body.id) });
  }
  return out;
}

const countBy = (items: { node: string }[]) =>
  items.reduce<Record<string, number>>((m, i) => ({ ...m, [i.node]: (m[i.node] ?? 0) + 1 }), {});

/** Waits until the gateway sees exactly `count` serving transrv nodes (its signed /v1/health shows counts only). */
async function transrvInGateway(count: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const health = await api.get<{ transrv: { serving: number; total: number } }>('/v1/health');
    if (health.body.transrv?.serving === count && health.body.transrv.total === count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway never saw ${count} transrv nodes`);
}

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1', 't2'], ttlSeconds: 4 });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Growing'));
});

afterAll(async () => {
  await fixtures?.close();
  await cluster?.stop();
});

describe('binding accounts to transrv nodes, for life', () => {
  let first: { id: string; node: string }[];

  it('with two nodes, 100 new accounts split evenly', async () => {
    first = await openAccounts(100);
    const counts = countBy(first);
    expect(Object.keys(counts).sort()).toEqual(['t1', 't2']);
    expect(Math.abs(counts['t1']! - counts['t2']!)).toBeLessThanOrEqual(2);
  });

  it('concurrent creations also spread evenly (the least-loaded pick is serialised)', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, () => api.post<{ id: string }>('/v1/accounts', { externalId: `c-${randomUUID()}` })),
    );
    const nodes = await Promise.all(results.map((r) => fixtures.nodeOf(r.body.id)));
    const counts = countBy(nodes.map((node) => ({ node })));
    expect(Math.abs((counts['t1'] ?? 0) - (counts['t2'] ?? 0))).toBeLessThanOrEqual(2);
  });

  it('a third node attracts the next 50 accounts until the loads even out', async () => {
    await cluster.startTransrv('t3');
    await transrvInGateway(3);
    const next = await openAccounts(50);
    expect(countBy(next)['t3'] ?? 0).toBeGreaterThanOrEqual(45);
    const nodes = await walletctl(cluster, 'nodes', '--json');
    const listed = JSON.parse(nodes.out.join('\n')) as { nodeId: string; live: boolean; boundAccounts: string }[];
    expect(listed.map((n) => n.nodeId)).toEqual(['t1', 't2', 't3']);
    expect(listed.every((n) => n.live)).toBe(true);
    expect(listed.reduce((s, n) => s + Number(n.boundAccounts), 0)).toBe(190);
  });

  it('a draining node gets no new accounts', async () => {
    expect((await walletctl(cluster, 'nodes', 'drain', 't3')).code).toBe(0);
    const next = await openAccounts(10);
    expect(countBy(next)['t3'] ?? 0).toBe(0);
    expect((await walletctl(cluster, 'nodes', 'activate', 't3')).code).toBe(0);
  });

  it('killing a node makes its accounts answer 503 SHARD_UNAVAILABLE, others keep working; a restart brings them back', async () => {
    const onT1 = first.find((a) => a.node === 't1')!;
    const onT2 = first.find((a) => a.node === 't2')!;
    const otherOnT2 = first.filter((a) => a.node === 't2')[1]!;
    await fixtures.fund(onT1.id, 'ETH', 100n);
    await fixtures.fund(onT2.id, 'ETH', 100n);

    const t1 = cluster.process('transrv-t1');
    t1.child.kill('SIGKILL');
    await t1.exited;
    await transrvInGateway(2);

    const down = await api.get<{ error: { code: string } }>(`/v1/accounts/${onT1.id}/balances`);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('SHARD_UNAVAILABLE');
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    // A transfer to an account on the dead node is refused before anything is debited.
    const before = await fixtures.snapshot();
    const toDead = await api.post<{ error: { code: string } }>('/v1/transfers', { from: onT2.id, to: onT1.id, asset: 'ETH', amount: '1' });
    expect([toDead.status, toDead.body.error.code]).toEqual([503, 'SHARD_UNAVAILABLE']);
    expect(await fixtures.snapshot()).toEqual(before);
    // Accounts on the live node keep working, including a transfer between them.
    expect((await api.get(`/v1/accounts/${onT2.id}/balances`)).status).toBe(200);
    const ok = await api.post('/v1/transfers', { from: onT2.id, to: otherOnT2.id, asset: 'ETH', amount: '5' });
    expect(ok.status).toBe(201);
    // New accounts go to live nodes only.
    expect(countBy(await openAccounts(5))['t1'] ?? 0).toBe(0);

    await cluster.startTransrv('t1');
    await transrvInGateway(3);
    const back = await api.get<{ data: { asset: string; available: string }[] }>(`/v1/accounts/${onT1.id}/balances`);
    expect(back.status).toBe(200);
    expect(back.body.data.find((b) => b.asset === 'ETH')?.available).toBe('100');
    expect(await fixtures.nodeOf(onT1.id)).toBe('t1'); // bound for life: never moved while t1 was down
    expect(await fixtures.invariants()).toEqual([]);
  });

  it('MySQL itself refuses to move an account to another node', async () => {
    await expect(
      fixtures
        .db('accounts')
        .where({ id: first[0]!.id })
        .update({ node_id: first[0]!.node === 't1' ? 't2' : 't1' }),
    ).rejects.toThrow(/binding is immutable/);
  });
});
