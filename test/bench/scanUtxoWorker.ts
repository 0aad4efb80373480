// One measured run of `pnpm bench:scan-utxo`, in a process of its own so that its memory figures are the scanner's:
// loads the watched set (timed, in the adapter's script index), runs the raw verbosity-0 loop, then the ChainScanner
// (UtxoAdapter, deposits and UTXOs written to MariaDB) from the first preloaded block to the last, then the
// verbosity-2 loop with JSON matching against a Set of address strings (last: its memory is not the scanner's).
// Started by scanUtxo.bench.ts with --expose-gc and the job in SCAN_UTXO_JOB; progress goes to stderr, the
// figures (ScanUtxoResult) to stdout as one JSON line.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { createUtxoAdapter } from '@wallet/chains';
import { createDb } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { ChainScanner, WatchedAddresses } from '@wallet/scanner';
import { cpuProfiler, memoryPeaks } from './benchKit.js';
import type { ScanUtxoJob, ScanUtxoResult, UtxoPassFigures } from './ScanUtxoJob.js';

const job = readJob();
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const say = (msg: string): boolean => process.stderr.write(`[bench:scan-utxo] ${job.label}: ${msg}\n`);
const mb = (bytes: number): number => round(bytes / 1e6, 1);
const blocks = job.last - job.first + 1;
const CONCURRENCY = 8; // the scanner's default fetch concurrency, used by every loop here

gc();
const start = process.memoryUsage();
const db = createDb(job.mysqlUrl);
const registry = AssetRegistry.parse(devRegistryInput);
const adapter = await createUtxoAdapter({
  chain: registry.chain(job.chain),
  assets: [...registry.assets.values()].filter((a) => a.chain === job.chain),
  rpcUrl: job.rpcUrl,
});
const watched = new WatchedAddresses(db, job.chain, (a) => adapter.canonicalAddress(a), adapter.createAddressIndex?.());
await db.raw('SELECT 1');
gc();
const before = process.memoryUsage();
const heapBefore = before.heapUsed + before.arrayBuffers;
const loadStarted = performance.now();
await watched.refresh();
const loadSeconds = (performance.now() - loadStarted) / 1000;
gc();
const afterSet = process.memoryUsage();
const watchedSet = {
  size: watched.size,
  loadSeconds: round(loadSeconds, 2),
  heapMB: mb(afterSet.heapUsed + afterSet.arrayBuffers - heapBefore),
  rssAfterLoadMB: mb(afterSet.rss),
};
say(
  `watched set: ${watched.size.toLocaleString('en')} addresses loaded in ${loadSeconds.toFixed(2)} s, ${watchedSet.heapMB} MB of heap and array buffers`,
);

const url = new URL(job.rpcUrl);
const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const rpc = (method: string, params: readonly unknown[]): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '1.0', id: 0, method, params });
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: auth };
    const req = request({ host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
const blockHash = async (n: number): Promise<string> =>
  (JSON.parse((await rpc('getblockhash', [n])).toString()) as { result: string }).result;
// CONCURRENCY requests in flight at all times, as the scanner keeps them (a pool, not lockstep batches).
const eachBlock = async (work: (n: number) => Promise<void>): Promise<void> => {
  let next = job.first;
  const worker = async (): Promise<void> => {
    while (next <= job.last) await work(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
};

let rawBytes = 0;
const raw0 = await timed(() =>
  eachBlock(async (n) => {
    const answer = JSON.parse((await rpc('getblock', [await blockHash(n), 0])).toString()) as { result: string };
    rawBytes += Buffer.from(answer.result, 'hex').length;
  }),
);
const rawVerbosity0 = { ...raw0, bytesPerBlock: Math.round(rawBytes / blocks) };
say(`raw loop, verbosity 0: ${raw0.blocksPerSecond} blocks/s, ${raw0.txsPerSecond} txs/s`);

const scanner = new ChainScanner({
  db,
  chain: job.chain,
  source: adapter,
  watched,
  fence: { chain: job.chain, token: 1n, holder: 'bench' },
  log: createLogger('bench-scan-utxo', { level: 'silent' }),
  startHeight: job.first,
});
const profiler = await cpuProfiler(job.cpuProfileDir, `${job.label}-scanner.cpuprofile`);
let windows = 0;
const memory = memoryPeaks();
const scan = await timed(async () => {
  for (;;) {
    const step = await scanner.scan(64, CONCURRENCY);
    if (step.kind !== 'scanned') throw new Error(`scanner step: ${step.kind}, expected a scanned block`);
    windows++;
    if (step.block.number >= job.last) return;
  }
});
const { rss: peakRss, heapUsed: peakHeapUsed } = memory.stop();
// The process's peak so far: the set's load, the raw loop (small) and the scanner; not the verbosity-2 loop below.
const maxRssThroughScannerMB = mb(process.resourceUsage().maxRSS * 1024);
const cpuProfile = await profiler.stop();
const [row] = await db('deposits')
  .where({ chain: job.chain })
  .select<{ n: string | number; total: string | null }[]>(db.raw('COUNT(*) AS n'), db.raw('CAST(SUM(amount) AS CHAR) AS total'));
const depositsStored = Number(row?.n ?? 0);
const depositsMatch = depositsStored === job.expectedDeposits && BigInt(row?.total ?? '0') === BigInt(job.expectedAmount);
say(
  `scanner: ${scan.blocksPerSecond} blocks/s, ${scan.txsPerSecond} txs/s, ${scan.cores} cores, ${windows} windows; deposits ${depositsStored} of ${job.expectedDeposits}`,
);
// What a plain implementation holds: the addresses as strings in a Set (loaded after the scanner's pass, so that its
// memory is not counted in the scanner's figures).
const plain = new Set<string>(await db('addresses').where({ chain: job.chain }).pluck<string[]>('address'));
type Verbose = { result: { tx: { vout: { scriptPubKey: { address?: string; addresses?: string[] } }[] }[] } };
let matched = 0;
const v2 = await timed(() =>
  eachBlock(async (n) => {
    const block = JSON.parse((await rpc('getblock', [await blockHash(n), 2])).toString()) as Verbose;
    for (const tx of block.result.tx) {
      for (const out of tx.vout) {
        const address = out.scriptPubKey.address ?? out.scriptPubKey.addresses?.[0];
        if (address !== undefined && plain.has(address)) matched++;
      }
    }
  }),
);
const verbosity2 = { ...v2, matched };
say(`verbosity-2 loop with JSON matching: ${v2.blocksPerSecond} blocks/s, ${v2.txsPerSecond} txs/s, ${matched} outputs matched`);
agent.destroy();
await adapter.close();
await db.destroy();

const result: ScanUtxoResult = {
  label: job.label,
  startRssMB: mb(start.rss),
  watchedSet,
  rawVerbosity0,
  verbosity2,
  scanner: { ...scan, peakRssMB: mb(peakRss), peakHeapUsedMB: mb(peakHeapUsed), depositsStored, depositsMatch, windows, cpuProfile },
  maxRssThroughScannerMB,
  maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
};
process.stdout.write(`${JSON.stringify(result)}\n`);

async function timed(work: () => Promise<void>): Promise<UtxoPassFigures> {
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

function readJob(): ScanUtxoJob {
  const text = process.env['SCAN_UTXO_JOB'];
  if (text === undefined) throw new Error('scanUtxoWorker.ts is started by scanUtxo.bench.ts, with the job in SCAN_UTXO_JOB');
  return JSON.parse(text) as ScanUtxoJob;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
