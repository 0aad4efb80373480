// `pnpm bench:gateway`: signed GET balances and POST transfers through gatesrv -> gRPC -> transrv -> MySQL
// at a fixed concurrency, against a baseline in the same run: one bare fastify process doing the same SQL
// (the same ledger functions, same database, same load generator). Prints figures and the ratio and
// appends them to bench/results/gateway.jsonl. A benchmark, not a test: it asserts nothing. gRPC runs over mTLS unless
// WALLET_GRPC_TLS=off.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { signRequest } from '@wallet/client-auth';
import { dropDatabase } from '@wallet/db';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { ApiClient } from '../harness/ApiClient.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit } from './benchKit.js';
import { pidsNamed, startCpuMeter } from './cpuMeter.js';
import { mysqlUrl } from '../harness/stackEnv.js';
import { type LoadResult, type RequestSpec, runLoad } from './loadGenerator.js';

const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const WARMUP_SECONDS = 2;
const ACCOUNTS = 64;
const say = (msg: string) => process.stdout.write(`[bench:gateway] ${msg}\n`);

// Services run from the compiled output, as in production (the package script runs `tsc -b` first).
process.env['WALLET_RUN_FROM'] = 'dist';

say(`starting the cluster (gatesrv, accountsrv, transrv t1+t2, signsrv) from dist/`);
const cluster = await Cluster.start(
  { keepDatabase: true, extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '1000000', GATESRV_UPSTREAM_TIMEOUT_MS: '30000' } },
  say,
);
// WALLET_GRPC_TLS=off runs the cluster's gRPC in plaintext (the harness's default is mTLS): recorded with the figures.
const grpc = cluster.grpcTlsDir === undefined ? 'plaintext' : 'mtls';
say(`gRPC between services: ${grpc}`);
const fixtures = new LedgerFixtures(cluster.database);
const creds = await createApiClient(cluster, 'Bench Exchange');
const api = new ApiClient(cluster.gatewayUrl, creds);
const accounts: string[] = [];
for (let i = 0; i < ACCOUNTS; i++) {
  const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `bench-${i}` });
  accounts.push(res.body.id);
  await fixtures.fund(res.body.id, 'ETH', 10n ** 30n);
}
say(`${ACCOUNTS} accounts funded over nodes ${[...new Set(await Promise.all(accounts.map((a) => fixtures.nodeOf(a))))].join(', ')}`);

const pick = () => accounts[Math.floor(Math.random() * accounts.length)]!;
function signed(method: string, path: string, body?: string): RequestSpec {
  const headers: Record<string, string> = {
    ...signRequest({ keyId: creds.keyId, secret: creds.secret, method, pathWithQuery: path, body: body ?? '' }),
  };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['idempotency-key'] = randomUUID();
  }
  return body === undefined ? { method, path, headers } : { method, path, headers, body };
}
const balancesRequest = (): RequestSpec => signed('GET', `/v1/accounts/${pick()}/balances`);
const transferRequest = (): RequestSpec => {
  const from = pick();
  let to = pick();
  while (to === from) to = pick();
  return signed('POST', '/v1/transfers', JSON.stringify({ from, to, asset: 'ETH', amount: '1' }));
};

/** CPU milliseconds per request of each process: where a request's work is done, which throughput alone hides. */
type CpuPerRequest = Record<string, number>;

/**
 * Measures one scenario, and the CPU each process spent per request during it (the services', MariaDB's, Redis' and
 * the load generator's, `bench`): on two shared cores the throughput is bounded by the sum of them.
 */
async function measure(
  name: string,
  url: string,
  next: () => RequestSpec,
  pids: Readonly<Record<string, number>>,
): Promise<LoadResult & { cpuMsPerRequest: CpuPerRequest }> {
  await runLoad(url, CONCURRENCY, WARMUP_SECONDS, next);
  const cpu = startCpuMeter(pids);
  const result = await runLoad(url, CONCURRENCY, SECONDS, next);
  const used = cpu();
  const cpuMsPerRequest = Object.fromEntries(
    Object.entries(used).map(([process, seconds]) => [process, Math.round((seconds * 1e5) / Math.max(1, result.requests)) / 100]),
  );
  const total = Object.values(cpuMsPerRequest).reduce((a, b) => a + b, 0);
  say(
    `${name.padEnd(28)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(1).padStart(6)} ms  p99 ${result.p99Ms.toFixed(1).padStart(6)} ms  errors ${result.errors}  ${JSON.stringify(result.statuses)}`,
  );
  say(
    `${''.padEnd(28)} CPU ms per request: ${Object.entries(cpuMsPerRequest)
      .sort((a, b) => b[1] - a[1])
      .map(([p, ms]) => `${p} ${ms.toFixed(2)}`)
      .join(', ')}; total ${total.toFixed(2)}`,
  );
  return { ...result, cpuMsPerRequest };
}

const stackPids = pidsNamed(['mariadbd', 'redis-server']);
const clusterPids = (): Record<string, number> => ({
  ...stackPids,
  ...Object.fromEntries([...cluster.processes].map(([label, p]) => [label, p.pid])),
});

say(`cluster: concurrency ${CONCURRENCY}, ${SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up`);
const clusterBalances = await measure('cluster GET balances', cluster.gatewayUrl, balancesRequest, clusterPids());
const clusterTransfers = await measure('cluster POST transfers', cluster.gatewayUrl, transferRequest, clusterPids());
const invariantsAfterCluster = await fixtures.invariants();
await cluster.stop();

say('baseline: bare fastify + the same ledger SQL, one process, no auth, no gRPC');
const baseline = spawn(process.execPath, [join(repoRoot, 'test', 'dist', 'bench', 'baselineServer.js')], {
  env: { ...process.env, MYSQL_URL: mysqlUrl(cluster.database) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const baselineUrl = await new Promise<string>((resolve) =>
  createInterface({ input: baseline.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url)),
);
const plain = (spec: RequestSpec): RequestSpec => spec; // same requests; the baseline ignores the signature headers
const baselinePids = { ...stackPids, baseline: baseline.pid! };
const baselineBalances = await measure('baseline GET balances', baselineUrl, () => plain(balancesRequest()), baselinePids);
const baselineTransfers = await measure('baseline POST transfers', baselineUrl, () => plain(transferRequest()), baselinePids);
baseline.kill('SIGTERM');
await new Promise((r) => baseline.once('exit', r));
const invariantsAfterAll = await fixtures.invariants();
await fixtures.close();
await dropDatabase(mysqlUrl(cluster.database));

const ratio = (a: LoadResult, b: LoadResult) => a.rps / b.rps;
// Issue 20's goal: at least 0.6 of the bare server's throughput, and a p99 at most 1.5 times the bare server's.
const goal = (r: LoadResult, b: LoadResult) => ratio(r, b) >= 0.6 && r.p99Ms <= 1.5 * b.p99Ms;
say('');
say(
  `GET balances:   cluster/baseline throughput ${ratio(clusterBalances, baselineBalances).toFixed(2)}, cluster p99 ${clusterBalances.p99Ms.toFixed(1)} ms  goal(>=0.6, p99<=1.5x baseline ${(1.5 * baselineBalances.p99Ms).toFixed(1)} ms): ${goal(clusterBalances, baselineBalances) ? 'met' : 'NOT met'}`,
);
say(
  `POST transfers: cluster/baseline throughput ${ratio(clusterTransfers, baselineTransfers).toFixed(2)}, cluster p99 ${clusterTransfers.p99Ms.toFixed(1)} ms  goal(>=0.6, p99<=1.5x baseline ${(1.5 * baselineTransfers.p99Ms).toFixed(1)} ms): ${goal(clusterTransfers, baselineTransfers) ? 'met' : 'NOT met'}`,
);
say(
  `ledger invariants after the run: ${invariantsAfterAll.length === 0 && invariantsAfterCluster.length === 0 ? 'hold' : invariantsAfterAll.join('; ')}`,
);

const commit = gitCommit();
mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
appendFileSync(
  join(repoRoot, 'bench', 'results', 'gateway.jsonl'),
  `${JSON.stringify({
    bench: 'gateway',
    at: new Date().toISOString(),
    commit,
    cpus: cpus().length,
    concurrency: CONCURRENCY,
    seconds: SECONDS,
    grpc,
    // a run with WALLET_CPU_PROF_DIR set profiles every service, which slows them: its figures are not comparable
    profiled: process.env['WALLET_CPU_PROF_DIR'] !== undefined,
    cluster: { balances: clusterBalances, transfers: clusterTransfers },
    baseline: { balances: baselineBalances, transfers: baselineTransfers },
    ratio: { balances: ratio(clusterBalances, baselineBalances), transfers: ratio(clusterTransfers, baselineTransfers) },
    invariantsHold: invariantsAfterAll.length === 0,
  })}\n`,
);
say('figures appended to bench/results/gateway.jsonl');
