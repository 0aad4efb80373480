// `pnpm bench:events`: issue 17's paths through the whole cluster (gatesrv, accountsrv, transrv t1+t2, signsrv on the
// local stack), each against a baseline measured in the same run:
// - feed: how soon a transfer's `transfer.completed` reaches a client holding a long poll (`GET /v1/events?wait=30`),
//   measured from the transfer's 201; baseline: the transfer's own round trip (the lag adds to it).
// - webhooks: N queued events delivered to a loopback receiver by a transrv node (signed, each recorded in MySQL, in
//   order, one at a time), events/s from resuming the webhook; baseline: the same number of signed POSTs sent one
//   after another by a bare loop to the same receiver.
// - red packets: claims/s of one packet's shares by concurrent clients; baseline: the same number of internal
//   transfers at the same concurrency (both are one ledger transaction each; claims queue on the packet's row).
// Prints figures and appends them to bench/results/events.jsonl. A benchmark, not a test: it asserts nothing.
import { createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit } from './benchKit.js';
import { percentiles } from './percentiles.js';

const N = Number(process.env['BENCH_EVENTS'] ?? 400);
const CONCURRENCY = Number(process.env['BENCH_EVENTS_CONCURRENCY'] ?? 16);
const say = (msg: string) => process.stdout.write(`[bench:events] ${msg}\n`);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs `count` tasks with at most `concurrency` at once. @returns the wall time in ms */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return performance.now() - start;
}

/** A loopback webhook receiver answering 200; `onBody` sees each body. */
async function receiver(onBody: (body: string) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      onBody(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

say('starting the cluster (gatesrv, accountsrv, transrv t1+t2, signsrv)');
const cluster = await Cluster.start(
  { transrvNodes: ['t1', 't2'], extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '1000000', TRANSRV_WEBHOOK_RETRY_MS: '200' } },
  say,
);
const fixtures = new LedgerFixtures(cluster.database);
const api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Bench Events'));
const results: Record<string, unknown>[] = [];
try {
  const accounts: string[] = [];
  for (let i = 0; i < 8; i++) {
    const id = (await api.post<{ id: string }>('/v1/accounts', { externalId: `bench-events-${i}` })).body.id;
    await fixtures.fund(id, 'ETH', 10n ** 20n);
    accounts.push(id);
  }
  const transfer = async (i: number, tag: string): Promise<{ id: string; ms: number; at: number }> => {
    const start = performance.now();
    const res = await api.post<{ id: string }>(
      '/v1/transfers',
      { from: accounts[i % 8], to: accounts[(i + 3) % 8], asset: 'ETH', amount: String(1000 + i) },
      { idempotencyKey: `${tag}-${i}` },
    );
    if (res.status !== 201) throw new Error(`transfer ${i}: ${res.status}`);
    const at = performance.now();
    return { id: res.body.id, ms: at - start, at };
  };

  // --- feed: transfer 201 -> its event through a long poll
  say(`feed: ${N} transfers, one at a time, while a long poll reads the feed`);
  let after = (await api.get<{ lastSeq: number }>('/v1/events?after=0&limit=1')).body.lastSeq;
  const seenAt = new Map<string, number>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const page = await api.get<{ data: { seq: number; type: string; resourceId: string }[]; next: number }>(
        `/v1/events?after=${after}&limit=1000&wait=5`,
      );
      const now = performance.now();
      for (const e of page.body.data) if (e.type === 'transfer.completed') seenAt.set(e.resourceId, now);
      after = page.body.next;
    }
  })();
  const made: { id: string; ms: number; at: number }[] = [];
  for (let i = 0; i < N; i++) made.push(await transfer(i, 'feed'));
  const deadline = Date.now() + 60_000;
  while (made.some((t) => !seenAt.has(t.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  polling = false;
  await poller;
  const lags = made.filter((t) => seenAt.has(t.id)).map((t) => Math.max(0, seenAt.get(t.id)! - t.at));
  const rtt = percentiles(made.map((t) => t.ms));
  const lag = percentiles(lags);
  const feed = {
    scenario: 'feed',
    events: N,
    seen: lags.length,
    lagP50Ms: round(lag.p50Ms ?? NaN),
    lagP95Ms: round(lag.p95Ms ?? NaN),
    baselineTransferP50Ms: round(rtt.p50Ms ?? NaN),
    ratio: round((lag.p50Ms ?? NaN) / (rtt.p50Ms ?? NaN)),
  };
  say(JSON.stringify(feed));
  results.push(feed);

  // --- webhooks: N deliveries to one receiver vs a bare loop of signed POSTs
  say(`webhooks: ${N} events delivered to a loopback receiver`);
  // The webhook is paused while the events are made, then resumed: what is measured is delivery alone (the queue
  // drains from its cursor), not how fast transfers produce events.
  let delivered = 0;
  let lastAt = 0;
  const rx = await receiver(() => {
    delivered++;
    lastAt = performance.now();
  });
  const hook = (await api.post<{ id: string }>('/v1/webhooks', { url: rx.url, events: ['transfer.completed'] })).body.id;
  await api.send('PATCH', `/v1/webhooks/${hook}`, JSON.stringify({ status: 'disabled' }));
  await pool(N, CONCURRENCY, async (i) => void (await transfer(i, 'hook')));
  const resumedAt = performance.now();
  await api.send('PATCH', `/v1/webhooks/${hook}`, JSON.stringify({ status: 'active' }));
  const hookDeadline = Date.now() + 120_000;
  while (delivered < N && Date.now() < hookDeadline) await new Promise((r) => setTimeout(r, 20));
  const systemPerSecond = (delivered * 1000) / Math.max(1, lastAt - resumedAt);
  let rawCount = 0;
  const raw = await receiver(() => rawCount++);
  const body = JSON.stringify({ seq: 1, type: 'transfer.completed', data: { amount: '1000' } });
  const rawStart = performance.now();
  for (let i = 0; i < N; i++) {
    const t = Math.floor(Date.now() / 1000);
    const mac = createHmac('sha256', 'whsec_bench').update(`${t}.${body}`).digest('hex');
    await fetch(raw.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-wallet-signature': `t=${t},v1=${mac}` },
    });
  }
  const rawPerSecond = (N * 1000) / (performance.now() - rawStart);
  const hooks = {
    scenario: 'webhooks',
    events: N,
    delivered,
    systemPerSecond: round(systemPerSecond, 1),
    baselinePerSecond: round(rawPerSecond, 1),
    ratio: round(systemPerSecond / rawPerSecond),
  };
  say(JSON.stringify(hooks));
  results.push(hooks);
  rx.server.close();
  raw.server.close();

  // --- red packets: claims/s vs transfers/s at the same concurrency
  say(`red packets: ${N} claims of one packet, ${CONCURRENCY} at a time, vs ${N} transfers`);
  const claimers: string[] = [];
  for (let i = 0; i < N; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, j) =>
        api.post<{ id: string }>('/v1/accounts', { externalId: `bench-claimer-${i + j}` }),
      ),
    );
    claimers.push(...batch.map((r) => r.body.id));
  }
  const packet = (
    await api.post<{ id: string }>('/v1/red-packets', {
      from: accounts[0],
      asset: 'ETH',
      total: String(10n ** 18n),
      count: N,
      mode: 'random',
      expiresIn: 3600,
    })
  ).body.id;
  let refused = 0;
  const claimMs = await pool(N, CONCURRENCY, async (i) => {
    for (;;) {
      const res = await api.post(`/v1/red-packets/${packet}/claim`, { accountId: claimers[i] }, { idempotencyKey: `bench-claim-${i}` });
      if (res.status === 201) return;
      if (res.status !== 503 && res.status !== 504) {
        refused++;
        return;
      }
    }
  });
  const transferMs = await pool(N, CONCURRENCY, async (i) => void (await transfer(i, 'baseline')));
  const claims = {
    scenario: 'red-packet-claims',
    claims: N,
    refused,
    concurrency: CONCURRENCY,
    systemPerSecond: round((N * 1000) / claimMs, 1),
    baselinePerSecond: round((N * 1000) / transferMs, 1),
    ratio: round(transferMs / claimMs),
  };
  say(JSON.stringify(claims));
  results.push(claims);
  const problems = await fixtures.invariants();
  if (problems.length > 0) say(`LEDGER PROBLEMS: ${problems.join('; ')}`);
} finally {
  await fixtures.close();
  await cluster.stop();
}
const dir = join(repoRoot, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const at = new Date().toISOString();
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavg: loadavg() };
for (const r of results) appendFileSync(join(dir, 'events.jsonl'), `${JSON.stringify({ at, commit: gitCommit(), machine, ...r })}\n`);
for (const r of results) console.log(JSON.stringify(r));
