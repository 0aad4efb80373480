// One measured run of `pnpm bench:scan-evm`, in a process of its own so that its memory figures are the scanner's
// and not the preloading's: loads the watched set (timed, its heap measured after full GCs), runs the minimal raw
// fetch loop, adapter.scanBlock alone, the ChainScanner from the first preloaded block until all deposits are
// stored, and the raw loop again. Started by scanEvm.bench.ts with --expose-gc and the job in SCAN_EVM_JOB;
// progress goes to stderr, the figures (ScanEvmResult) to stdout as one JSON line.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { createEvmAdapter } from '@wallet/chains';
import { createDb } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { ChainScanner, WatchedAddresses } from '@wallet/scanner';
import { cpuProfiler, memoryPeaks } from './benchKit.js';
import type { PassFigures, ScanEvmJob, ScanEvmResult } from './ScanEvmJob.js';

const job = readJob();
const gc = exposedGc();
const say = (msg: string): boolean => process.stderr.write(`[bench:scan-evm] ${job.label}: ${msg}\n`);
const MB = 1e6;
const mb = (bytes: number): number => round(bytes / MB, 1);
const blocks = job.last - job.first + 1;

gc();
const start = process.memoryUsage();

const db = createDb(job.mysqlUrl);
const registry = AssetRegistry.parse({
  ...devRegistryInput,
  assets: [
    ...devRegistryInput.assets,
    { id: job.tokenAsset, chain: job.chain, decimals: 6, confirmations: 3, minWithdrawal: '1', withdrawalFee: '1', contract: job.token },
  ],
});
const adapter = await createEvmAdapter({
  chain: registry.chain(job.chain),
  assets: [...registry.assets.values()].filter((a) => a.chain === job.chain),
  rpcUrl: job.rpcUrl,
});
// The index the scanner uses (ScannerService: the adapter's own, 20-byte keys outside V8's heap).
const watched = new WatchedAddresses(db, job.chain, (a) => adapter.canonicalAddress(a), adapter.createAddressIndex?.());

// The pool's first connection and knex's lazily loaded code are not the watched set: make them exist first.
await db.raw('SELECT 1');
gc();
const beforeSet = process.memoryUsage();
const heapBeforeSet = beforeSet.heapUsed;
const loadStarted = performance.now();
await watched.refresh();
const loadSeconds = (performance.now() - loadStarted) / 1000;
gc();
const afterSet = process.memoryUsage();
const watchedSet = {
  size: watched.size,
  loadSeconds: round(loadSeconds, 2),
  heapMB: mb(afterSet.heapUsed - heapBeforeSet),
  // the index's typed arrays are outside V8's heap: counted here
  externalMB: mb(afterSet.arrayBuffers - beforeSet.arrayBuffers),
  bytesPerAddress: Math.round((afterSet.heapUsed - heapBeforeSet + afterSet.arrayBuffers - beforeSet.arrayBuffers) / watched.size),
  rssAfterLoadMB: mb(afterSet.rss),
};
say(
  `watched set: ${watched.size.toLocaleString('en')} addresses loaded in ${loadSeconds.toFixed(2)} s, ${watchedSet.heapMB} MB of heap + ${watchedSet.externalMB} MB outside it (${watchedSet.bytesPerAddress} bytes an address)`,
);

// The scanner fetches 8 blocks at a time (ScannerService's default), so the raw loop is measured both one
// block at a time and 8 at a time; the ratio is taken against the faster.
const FETCH_CONCURRENCY = 8;
const rawSequential = await rawPass(1);
say(`raw loop, 1 in flight: ${rawSequential.blocksPerSecond} blocks/s, ${rawSequential.txsPerSecond} txs/s`);
const rawBefore = await rawPass(FETCH_CONCURRENCY);
say(`raw loop, ${FETCH_CONCURRENCY} in flight: ${rawBefore.blocksPerSecond} blocks/s, ${rawBefore.txsPerSecond} txs/s`);

let transfers = 0;
const adapterOnly = await timed(async () => {
  for (let n = job.first; n <= job.last; n++) transfers += (await adapter.scanBlock(n, watched.matcher))?.transfers.length ?? 0;
});
say(`adapter.scanBlock alone: ${adapterOnly.blocksPerSecond} blocks/s, ${transfers} transfers to watched addresses`);

const scanner = new ChainScanner({
  db,
  chain: job.chain,
  source: adapter,
  watched,
  fence: { chain: job.chain, token: 1n, holder: 'bench' },
  log: createLogger('bench-scan-evm', { level: 'silent' }),
  startHeight: job.first,
});
const profiler = await cpuProfiler(job.cpuProfileDir, `${job.label}-scanner.cpuprofile`);
let stepped = 0;
const memory = memoryPeaks();
const scan = await timed(async () => {
  for (;;) {
    const step = await scanner.scan(64, FETCH_CONCURRENCY);
    // The chain is static and starts at the first block: anything but a scanned block is a broken run.
    if (step.kind !== 'scanned') throw new Error(`scanner step: ${step.kind}, expected a scanned block`);
    stepped += step.deposits;
    if (step.block.number >= job.last) return;
  }
});
const { rss: peakRss, heapUsed: peakHeapUsed } = memory.stop();
const cpuProfile = await profiler.stop();

const stored = await db('deposits')
  .where({ chain: job.chain })
  .groupBy('asset')
  .select<{ asset: string; n: string | number; total: string }[]>(
    'asset',
    db.raw('COUNT(*) AS n'),
    db.raw('CAST(SUM(amount) AS CHAR) AS total'),
  );
const depositsStored = stored.reduce((sum, row) => sum + Number(row.n), 0);
const depositsMatch =
  depositsStored === job.expectedDeposits &&
  Object.entries(job.expectedAmounts).every(
    ([asset, total]) => BigInt(stored.find((r) => r.asset === asset)?.total ?? '0') === BigInt(total),
  );
say(
  `scanner: ${scan.blocksPerSecond} blocks/s, ${scan.txsPerSecond} txs/s, ${scan.cores} cores; deposits stored ${depositsStored} of ${job.expectedDeposits} expected`,
);

// What the scanner keeps, as opposed to what it had not yet collected at its peak.
gc();
const liveHeapAfterScan = process.memoryUsage().heapUsed;

const rawAfter = await rawPass(FETCH_CONCURRENCY);
say(`raw loop again: ${rawAfter.blocksPerSecond} blocks/s`);
await adapter.close();
await db.destroy();

const result: ScanEvmResult = {
  label: job.label,
  startRssMB: mb(start.rss),
  startHeapUsedMB: mb(start.heapUsed),
  watchedSet,
  rawSequential,
  rawBefore,
  rawAfter,
  adapterOnly: { ...adapterOnly, transfers },
  scanner: {
    ...scan,
    peakRssMB: mb(peakRss),
    peakHeapUsedMB: mb(peakHeapUsed),
    liveHeapAfterScanMB: mb(liveHeapAfterScan),
    depositsStepped: stepped,
    depositsStored,
    depositsMatch,
    cpuProfile,
  },
  // getrusage reports kilobytes on Linux.
  maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
};
process.stdout.write(`${JSON.stringify(result)}\n`);

/** Runs `work` (one pass over all preloaded blocks) and reports its rates and the CPU it took. */
async function timed(work: () => Promise<void>): Promise<PassFigures> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    seconds: round(seconds, 2),
    blocksPerSecond: round(blocks / seconds, 1),
    txsPerSecond: Math.round(job.txs / seconds),
    cores: round((used.user + used.system) / 1e6 / seconds, 2),
  };
}

/**
 * The baseline: the scanner's fetch, stripped to the wire. For each block, one after the other as the scanner goes,
 * the same JSON-RPC batch the EVM adapter sends (`eth_getBlockByNumber(n, false)` + `eth_getBlockReceipts(n)`) over
 * a keep-alive connection; the answer is read to the end and dropped, unparsed and unvalidated.
 */
async function rawPass(concurrency: number): Promise<PassFigures & { bytesPerBlock: number }> {
  const url = new URL(job.rpcUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let bytes = 0;
  const post = (body: string): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      const req = request({ host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const fetchOne = async (n: number): Promise<void> => {
    const tag = `0x${n.toString(16)}`;
    const answer = await post(
      `[{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["${tag}",false]},{"jsonrpc":"2.0","id":2,"method":"eth_getBlockReceipts","params":["${tag}"]}]`,
    );
    // Not parsed, but not blindly trusted either: a node answering errors would make the baseline look fast.
    if (answer.includes('"error"')) throw new Error(`raw loop: block ${n}: ${answer.subarray(0, 300).toString()}`);
    bytes += answer.length;
  };
  const figures = await timed(async () => {
    for (let n = job.first; n <= job.last; n += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, job.last - n + 1) }, (_, i) => fetchOne(n + i)));
    }
  });
  agent.destroy();
  return { ...figures, bytesPerBlock: Math.round(bytes / blocks) };
}

function readJob(): ScanEvmJob {
  const text = process.env['SCAN_EVM_JOB'];
  if (text === undefined) throw new Error('scanEvmWorker.ts is started by scanEvm.bench.ts, with the job in SCAN_EVM_JOB');
  return JSON.parse(text) as ScanEvmJob;
}

function exposedGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc: the watched set is measured after full GCs');
  return gc;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
