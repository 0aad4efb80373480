// `pnpm bench:tip-latency`: issue 20's tip latency. A cluster (gatesrv, accountsrv, transrv t1, signsrv) scans the
// stack's anvil and litecoind; blocks are mined at a steady cadence, each carrying one deposit to a watched address,
// and a client polls the deposit list through the API (every POLL ms) until the deposit shows. Measured per block:
// the block mined (the mining call returned: anvil automines the send, litecoind's generatetoaddress) -> the first API
// answer listing the deposit. Goal: p99 <= 250 ms over 200 blocks per chain. Baseline, same run: the round trip of
// the same API call (the least any answer can take), as a ratio.
// Block timestamps have one-second resolution on both chains, so the mining call's return on this machine's clock
// is the start (it comes after the block exists: the figure is, if anything, a few ms short).
// Prints figures and appends them to bench/results/tip-latency.jsonl. A benchmark, not a test: it asserts nothing.
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseEther } from 'ethers';
import { anvilDeployer, anvilProvider } from '../contracts/deploy.js';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { Litecoind, ltcRpcUrl } from '../harness/litecoind.js';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit } from './benchKit.js';
import { percentiles } from './percentiles.js';

const BLOCKS = Number(process.env['BENCH_TIP_BLOCKS'] ?? 200);
const CADENCE_MS = Number(process.env['BENCH_TIP_CADENCE_MS'] ?? 1000);
const POLL_MS = Number(process.env['BENCH_TIP_POLL_MS'] ?? 5);
const GOAL_P99_MS = 250;
const say = (msg: string) => process.stdout.write(`[bench:tip-latency] ${msg}\n`);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Deposit = { txid: string; status: string };

say('starting the cluster (gatesrv, accountsrv, transrv t1, signsrv) on the stack anvil and litecoind');
const cluster = await Cluster.start({ transrvNodes: ['t1'], chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl } }, say);
const api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Bench Tip Latency'));
const results: Record<string, unknown>[] = [];
try {
  for (const chain of ['eth', 'ltc']) {
    const leading = cluster.process('transrv-t1');
    const deadline = Date.now() + 120_000;
    while (!leading.lines.some((l) => l.msg === 'scanning as leader' && l['chain'] === chain) && Date.now() < deadline) await sleep(100);
  }
  const provider = anvilProvider();
  const deployer = anvilDeployer(provider);
  const litecoind = new Litecoind();

  const account = (await api.post<{ id: string }>('/v1/accounts', { externalId: `bench-tip-${Date.now()}` })).body.id;
  const addressOf = async (chain: string) =>
    (await api.post<{ address: string }>(`/v1/accounts/${account}/addresses`, { chain })).body.address;
  const listPath = `/v1/accounts/${account}/deposits?limit=5`;

  /** Polls the API until the deposit of `txid` is listed. @returns when it was (performance.now()), or null at 10 s */
  const seen = async (txid: string): Promise<number | null> => {
    const until = performance.now() + 10_000;
    while (performance.now() < until) {
      const page = await api.get<{ data: Deposit[] }>(listPath);
      if (page.body.data.some((d) => d.txid === txid)) return performance.now();
      await sleep(POLL_MS);
    }
    return null;
  };

  const chains: Record<string, { send: (to: string) => Promise<{ txid: string; minedAt: number }> }> = {
    eth: {
      // anvil automines: the send returns once its block exists.
      send: async (to) => {
        const tx = await deployer.sendTransaction({ to, value: parseEther('0.001') });
        const minedAt = performance.now();
        return { txid: tx.hash, minedAt };
      },
    },
    ltc: {
      send: async (to) => {
        const txid = await litecoind.sendMany({ [to]: '0.001' });
        await litecoind.mineFiller(1);
        return { txid, minedAt: performance.now() };
      },
    },
  };

  for (const chain of ['eth', 'ltc']) {
    const to = await addressOf(chain);
    say(`${chain}: ${BLOCKS} blocks, one every ${CADENCE_MS} ms, each with a deposit to ${to}; polling the API every ${POLL_MS} ms`);
    const latencies: number[] = [];
    let missed = 0;
    const start = performance.now();
    for (let i = 0; i < BLOCKS; i++) {
      const tick = start + i * CADENCE_MS;
      if (performance.now() < tick) await sleep(tick - performance.now());
      const { txid, minedAt } = await chains[chain]!.send(to);
      const at = await seen(txid);
      if (at === null) missed++;
      else latencies.push(at - minedAt);
      if ((i + 1) % 50 === 0) say(`${chain}: ${i + 1}/${BLOCKS} blocks, p50 so far ${round(percentiles(latencies).p50Ms ?? NaN)} ms`);
    }
    // Baseline: the same API call's round trip, 200 times.
    const rtts: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await api.get(listPath);
      rtts.push(performance.now() - t);
    }
    const lat = percentiles(latencies);
    const rtt = percentiles(rtts);
    const figures = {
      chain,
      blocks: BLOCKS,
      seen: latencies.length,
      missed,
      cadenceMs: CADENCE_MS,
      pollMs: POLL_MS,
      p50Ms: round(lat.p50Ms ?? NaN),
      p95Ms: round(lat.p95Ms ?? NaN),
      p99Ms: round(lat.p99Ms ?? NaN),
      maxMs: round(Math.max(...latencies)),
      baselineApiRoundTripP50Ms: round(rtt.p50Ms ?? NaN),
      baselineApiRoundTripP99Ms: round(rtt.p99Ms ?? NaN),
      ratioP50: round((lat.p50Ms ?? NaN) / (rtt.p50Ms ?? NaN), 2),
    };
    say(JSON.stringify(figures));
    say(`goal ${chain}: p99 ${figures.p99Ms} ms <= ${GOAL_P99_MS} ms: ${figures.p99Ms <= GOAL_P99_MS ? 'met' : 'not met'}`);
    results.push(figures);
  }
} finally {
  await cluster.stop();
}

const dir = join(repoRoot, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const record = {
  bench: 'tip-latency',
  at: new Date().toISOString(),
  commit: gitCommit(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', load: loadavg().map((l) => round(l, 2)) },
  results,
};
appendFileSync(join(dir, 'tip-latency.jsonl'), `${JSON.stringify(record)}\n`);
say(`appended to bench/results/tip-latency.jsonl`);
