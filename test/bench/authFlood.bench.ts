// `pnpm bench:auth-flood`: a signed client's latency through gatesrv alone, then while 2,000 requests with random
// X-Api-Key values are sent to the same gateway from the same address (each unknown key used to cost a lookup in
// accountsrv: the client's median went from 1.3 ms to 61 ms). Goal: the client's p50 stays <= 5 ms during the flood.
// Prints figures and appends them to bench/results/auth-flood.jsonl. A benchmark, not a test: it asserts nothing.
//
// The per-source limit needs gatesrv to pass `sourceAddress: request.ip` to authenticate(); without it only the bound
// on concurrent lookups protects the gateway (the flood's statuses show which answered: 401 looked up, 429 limited).
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '@wallet/client-auth';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit } from './benchKit.js';
import { type RequestSpec, sendRequest } from './loadGenerator.js';
import { latencySummary } from './latencySummary.js';

const FLOOD = Number(process.env['BENCH_FLOOD_REQUESTS'] ?? 2_000);
// Sent open loop at a fixed rate (not as fast as the gateway answers: that would measure CPU saturation, not the cost
// of the flood's authentication), with at most FLOOD_CONCURRENCY in flight.
const FLOOD_RATE = Number(process.env['BENCH_FLOOD_RATE'] ?? 1_000);
const FLOOD_CONCURRENCY = Number(process.env['BENCH_FLOOD_CONCURRENCY'] ?? 256);
const ALONE_REQUESTS = Number(process.env['BENCH_CLIENT_REQUESTS'] ?? 2_000);
const say = (msg: string) => process.stdout.write(`[bench:auth-flood] ${msg}\n`);

// Services run from the compiled output, as in production (the package script runs `tsc -b` first).
process.env['WALLET_RUN_FROM'] = 'dist';

say('starting the cluster (gatesrv, accountsrv, transrv t1+t2, signsrv) from dist/');
const cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '1000000' } }, say);
const url = new URL(cluster.gatewayUrl);
const creds = await createApiClient(cluster, 'Bench Exchange');
const api = new ApiClient(cluster.gatewayUrl, creds);
const account = (await api.post<{ id: string }>('/v1/accounts', { externalId: 'bench-auth-flood' })).body.id;

const clientRequest = (): RequestSpec => {
  const path = `/v1/accounts/${account}/balances`;
  return {
    method: 'GET',
    path,
    headers: { ...signRequest({ keyId: creds.keyId, secret: creds.secret, method: 'GET', pathWithQuery: path, body: '' }) },
  };
};
const floodRequest = (): RequestSpec => {
  const path = `/v1/accounts/${account}/balances`;
  const keyId = `key_${randomBytes(12).toString('hex')}`;
  return {
    method: 'GET',
    path,
    headers: { ...signRequest({ keyId, secret: randomBytes(32).toString('base64url'), method: 'GET', pathWithQuery: path, body: '' }) },
  };
};

const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_CONCURRENCY + 1 });
const send = (spec: RequestSpec): Promise<number> => sendRequest(url, agent, spec);

/** One request at a time (the signed client), until `count` were sent or `until` says stop; latencies in ms. */
async function clientLoop(count: number, until: () => boolean = () => false) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  while (latencies.length < count && !until()) {
    const t0 = performance.now();
    const status = await send(clientRequest()).catch(() => 0);
    latencies.push(performance.now() - t0);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return { ...latencySummary(latencies, (performance.now() - started) / 1000), statuses };
}

/** Exactly `total` random-key requests, `rate` per second, at most `concurrency` in flight. */
async function flood(total: number, rate: number, concurrency: number) {
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    const one: Promise<void> = send(floodRequest())
      .catch(() => 0)
      .then((status) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        inFlight.delete(one);
      });
    inFlight.add(one);
  }
  await Promise.all(inFlight);
  return { requests: total, seconds: (performance.now() - started) / 1000, statuses };
}

const line = (name: string, r: { p50Ms: number; p99Ms: number; requests: number; statuses: Record<string, number> }) =>
  say(
    `${name.padEnd(22)} p50 ${r.p50Ms.toFixed(2).padStart(7)} ms  p99 ${r.p99Ms.toFixed(2).padStart(7)} ms  (${r.requests} requests, ${JSON.stringify(r.statuses)})`,
  );

await clientLoop(200); // warm-up: connections, the credential cache, JIT
const alone = await clientLoop(ALONE_REQUESTS);
line('client alone', alone);

let flooding = true;
const floodRun = flood(FLOOD, FLOOD_RATE, FLOOD_CONCURRENCY).finally(() => (flooding = false));
const during = await clientLoop(Number.MAX_SAFE_INTEGER, () => !flooding);
const floodResult = await floodRun;
line('client during flood', during);
say(
  `flood: ${floodResult.requests} random-key requests in ${floodResult.seconds.toFixed(2)} s, answers ${JSON.stringify(floodResult.statuses)}`,
);
const met = during.p50Ms <= 5;
say(`goal (client p50 <= 5 ms during the flood): ${met ? 'met' : 'NOT met'}`);

agent.destroy();
await cluster.stop();

const commit = gitCommit();
mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
appendFileSync(
  join(repoRoot, 'bench', 'results', 'auth-flood.jsonl'),
  `${JSON.stringify({
    bench: 'auth-flood',
    at: new Date().toISOString(),
    commit,
    cpus: cpus().length,
    flood: { ...floodResult, rate: FLOOD_RATE, maxInFlight: FLOOD_CONCURRENCY },
    client: { alone, duringFlood: during },
    goalMet: met,
  })}\n`,
);
say('figures appended to bench/results/auth-flood.jsonl');
