import { randomUUID } from 'node:crypto';
import type { LogLine, ServiceProcess } from '@wallet/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster, type Gateway } from '../harness/Cluster.js';
import { Haproxy } from '../harness/Haproxy.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { Load } from '../harness/Load.js';
import { waitFor } from '../harness/waitFor.js';

// Issue 18: ops roll the gateways one at a time (a deploy) while clients work through the load balancer, and no
// request fails: each stopping gateway turns not-ready, is taken out of rotation by the balancer's health checks while
// it still serves, then finishes what it has and exits 0; its replacement is back in rotation before the next one stops.

// Above the balancer's detection time: two failed checks 200 ms apart, plus the check in flight.
const SHUTDOWN_DELAY_MS = 1500;
const WORKERS = 20;
const START = 1_000_000n;

let cluster: Cluster;
let fixtures: LedgerFixtures;
let haproxy: Haproxy;
let api: ApiClient;
// Worker i moves funds back and forth between its own two accounts: no two workers contend for an account.
const pairs: [string, string][] = [];

const hostPort = (url: string) => new URL(url).host;

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1', 't2'], extraEnv: { GATESRV_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS) } });
  const gateways = [cluster.gateway('gatesrv'), await cluster.startGatesrv()];
  haproxy = await Haproxy.start({
    label: `${cluster.env}-haproxy`,
    servers: gateways.map((g) => ({ name: g.label, address: hostPort(g.url), checkPort: Number(new URL(g.metricsUrl).port) })),
  });
  for (const g of gateways) await haproxy.waitServer(g.label, 'UP');
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(haproxy.url, await createApiClient(cluster, 'rolling'));
  const open = async (name: string) => {
    const res = await api.post<{ id: string }>('/v1/accounts', { externalId: name });
    expect(res.status).toBe(201);
    await fixtures.fund(res.body.id, 'ETH', START);
    return res.body.id;
  };
  for (let i = 0; i < WORKERS; i++) pairs.push(await Promise.all([open(`roll-${i}-a`), open(`roll-${i}-b`)]));
});

afterAll(async () => {
  await haproxy?.stop();
  await fixtures?.close();
  await cluster?.stop();
});

/** Requests a gateway process answered on the signed API (its `access` lines), optionally only from `since` on. */
function served(p: ServiceProcess, since = 0): number {
  return p.lines.filter((l) => l.msg === 'access' && String(l['route']).startsWith('/v1/') && timeOf(l) >= since).length;
}
const timeOf = (l: LogLine) => Date.parse(String(l['time']));

describe('rolling the gateways behind a load balancer under load', () => {
  it('answers every request, applies every transfer exactly once, and each gateway served before and after', async () => {
    const sent: { key: string; from: string; to: string; amount: bigint }[] = [];
    // 20 clients, each sending a transfer and reading a balance, at most 50 steps (100 requests) a second in all.
    const load = Load.start({ workers: WORKERS, stepsPerSecond: 50 }, async (l, worker) => {
      const [a, b] = pairs[worker]!;
      const [from, to] = Math.random() < 0.5 ? [a, b] : [b, a];
      const amount = BigInt(1 + Math.floor(Math.random() * 100));
      const key = `roll-${randomUUID()}`;
      const res = await l.expect(`POST /v1/transfers ${key}`, 201, () =>
        api.post('/v1/transfers', { from, to, asset: 'ETH', amount: amount.toString() }, { idempotencyKey: key }),
      );
      if (res) {
        expect(res.headers.get('idempotent-replayed')).toBeNull(); // a fresh key: never a replay
        sent.push({ key, from, to, amount });
      }
      await l.expect(`GET balances of ${from}`, 200, () => api.get(`/v1/accounts/${from}/balances`));
    });

    await new Promise((resolve) => setTimeout(resolve, 3000));
    const rolled: { before: Gateway; after: Gateway; stoppedAt: number; ms: number }[] = [];
    const rollStarted = Date.now();
    for (const label of ['gatesrv', 'gatesrv-2']) {
      const before = cluster.gateway(label);
      const stoppedAt = Date.now();
      expect(await before.process.stop('SIGTERM')).toBe(0);
      const after = await cluster.startGatesrv(label);
      await haproxy.waitServer(label, 'UP');
      rolled.push({ before, after, stoppedAt, ms: Date.now() - stoppedAt });
      // Traffic reaches the fresh instance before the next one stops.
      await waitFor(`${label} serving again`, async () => (served(after.process) >= 20 ? true : undefined), 10_000);
    }
    const rollMs = Date.now() - rollStarted;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const report = await load.stop();

    const servedFigures = rolled.map(
      ({ before, after, stoppedAt, ms }) =>
        `${before.label}: ${served(before.process)} served before its exit (${served(before.process, stoppedAt)} after SIGTERM), ` +
        `${served(after.process)} by its replacement; stop to back in rotation ${ms} ms`,
    );
    // What the run achieved, for the note (a test asserts behaviour, not speed).
    console.log(
      `rolling gatesrv: ${report.requests} requests in ${report.seconds.toFixed(1)} s (${report.perSecond}/s), ` +
        `${report.failures.length} failed, ${sent.length} transfers; roll of 2 gateways ${rollMs} ms\n  ${servedFigures.join('\n  ')}`,
    );
    expect(report.failures).toEqual([]);
    for (const { before, after, stoppedAt } of rolled) {
      expect(served(before.process)).toBeGreaterThan(50);
      // The stopping gateway still answered while the balancer was taking it out of rotation.
      expect(served(before.process, stoppedAt)).toBeGreaterThan(0);
      expect(served(after.process)).toBeGreaterThan(20);
    }

    // Exactly once: one transfer row per accepted request, and the balances are the fundings plus what was sent.
    const [[row]] = (await fixtures.db.raw(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT idempotency_key) AS distinct_keys FROM transfers WHERE idempotency_key LIKE 'roll-%'",
    )) as [[{ n: number; distinct_keys: number }]];
    expect(Number(row.n)).toBe(sent.length);
    expect(Number(row.distinct_keys)).toBe(sent.length);
    await waitFor('cross-node credits delivered', async () => {
      const [[{ n }]] = (await fixtures.db.raw("SELECT COUNT(*) AS n FROM transfers WHERE status = 'pending_credit'")) as [[{ n: number }]];
      return Number(n) === 0 ? true : undefined;
    });
    const expected = new Map(pairs.flat().map((id) => [id, START]));
    for (const t of sent) {
      expected.set(t.from, expected.get(t.from)! - t.amount);
      expected.set(t.to, expected.get(t.to)! + t.amount);
    }
    for (const [id, balance] of expected) {
      const res = await api.get<{ data: { asset: string; available: string }[] }>(`/v1/accounts/${id}/balances`);
      expect(res.status).toBe(200);
      expect(BigInt(res.body.data.find((b) => b.asset === 'ETH')!.available)).toBe(balance);
    }
    expect(await fixtures.invariants()).toEqual([]);
  });
});
