// `pnpm bench:scan-utxo`: the UTXO deposit scanner (ChainScanner over the UtxoAdapter, deposits and our UTXOs stored
// in MariaDB) against a PRIVATE litecoind regtest (its own datadir and port; never the stack's), preloaded past MWEB
// activation with BLOCKS blocks of TXS_PER_BLOCK transactions signed here (every one of them post-MWEB, each block
// with its HogEx), a WATCHED_SHARE of the payments to RECEIVERS watched addresses; with 100,000 and then 1,000,000
// watched addresses. For each watched set, in one worker process: the set's load time and heap, a raw loop fetching
// the same blocks at verbosity 0 (the node's limit), a loop at verbosity 2 matching addresses in the JSON (what a
// plain implementation does), and the scanner's blocks/s and txs/s, CPU and peak RSS. Prints the figures and the
// goals, and appends them to bench/results/scan-utxo.jsonl. A benchmark, not a test: it checks the deposits only so
// as not to report figures of a scanner that stored the wrong ones.
//
//   BLOCKS=300 TXS_PER_BLOCK=1000 WATCHED_SHARE=0.05 RECEIVERS=2000 ACCOUNTS=300 WATCHED=100000,1000000
//   SCAN_UTXO_CPU_PROF=<dir>: also write a V8 CPU profile of each scanner pass there (the profiler slows it down)
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { scriptToAddress } from '@wallet/chains';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit, runWorker } from './benchKit.js';
import { preloadUtxoChain } from './preloadUtxoChain.js';
import type { ScanUtxoJob, ScanUtxoResult } from './ScanUtxoJob.js';
import { startPrivateLitecoind } from './startPrivateLitecoind.js';
import { createOwners, insertWatchedAddresses } from './watchedAddressFixtures.js';
import { createTestDatabase } from '@wallet/testkit';

const BLOCKS = Number(process.env['BLOCKS'] ?? 300);
const TXS_PER_BLOCK = Number(process.env['TXS_PER_BLOCK'] ?? 1000);
const WATCHED_SHARE = Number(process.env['WATCHED_SHARE'] ?? 0.05);
const RECEIVERS = Number(process.env['RECEIVERS'] ?? 2000);
const ACCOUNTS = Number(process.env['ACCOUNTS'] ?? 300);
const WATCHED = (process.env['WATCHED'] ?? '100000,1000000')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const CPU_PROFILE_DIR = process.env['SCAN_UTXO_CPU_PROF'];
const CHAIN = 'ltc'; // the dev registry's litecoin regtest chain
const GOALS = { ofRaw: 0.7, overVerbose: 5, cores: 1, millionRssMB: 300 };
const say = (msg: string): boolean => process.stdout.write(`[bench:scan-utxo] ${msg}\n`);

if (WATCHED.some((n) => !Number.isSafeInteger(n) || n < RECEIVERS))
  throw new Error(`WATCHED: each count must be at least RECEIVERS (${RECEIVERS})`);

say('starting a private litecoind regtest (own datadir and RPC port)');
const node = await startPrivateLitecoind();
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
try {
  say(`preloading ${BLOCKS} blocks of ${TXS_PER_BLOCK} transactions, ${WATCHED_SHARE * 100} % paying ${RECEIVERS} watched addresses`);
  const preloadStarted = Date.now();
  const chain = await preloadUtxoChain({
    node,
    blocks: BLOCKS,
    txsPerBlock: TXS_PER_BLOCK,
    watchedShare: WATCHED_SHARE,
    receivers: RECEIVERS,
    seed: 1,
    say,
  });
  const preloadSeconds = Math.round((Date.now() - preloadStarted) / 1000);
  say(
    `blocks ${chain.first}..${chain.last} (MWEB active since 432): ${chain.txs} txs, ${(chain.bytes / 1e6).toFixed(1)} MB, ${chain.expectedDeposits} deposits expected (${preloadSeconds} s)`,
  );

  database = await createTestDatabase();
  const { db, url: mysqlUrl } = database;
  const accounts = await createOwners(db, ACCOUNTS);
  const filler = (): string => scriptToAddress('ltc', 'regtest', Buffer.concat([Buffer.from([0, 20]), randomBytes(20)]))!;
  const results: ScanUtxoResult[] = [];
  let inserted = 0;
  for (const count of WATCHED) {
    await insertWatchedAddresses(db, { chain: CHAIN, from: inserted, to: count, receivers: chain.receivers, accounts, say, filler });
    inserted = count;
    await db.raw('ANALYZE TABLE addresses, accounts'); // fresh index statistics, as in bench:scan-evm
    for (const table of ['deposits', 'utxos', 'chain_blocks', 'scanner_fences']) await db(table).where({ chain: CHAIN }).delete();
    const label = count >= 1e6 && count % 1e6 === 0 ? `${count / 1e6}M` : count % 1e3 === 0 ? `${count / 1e3}k` : String(count);
    say(`${label}: worker process (raw loops and scanner) with ${count.toLocaleString('en')} watched addresses`);
    results.push(
      await runWorker<ScanUtxoResult, ScanUtxoJob>(import.meta.url, 'scanUtxoWorker', 'SCAN_UTXO_JOB', {
        label,
        rpcUrl: node.rpcUrl,
        mysqlUrl,
        chain: CHAIN,
        first: chain.first,
        last: chain.last,
        txs: chain.txs,
        expectedDeposits: chain.expectedDeposits,
        expectedAmount: chain.expectedAmount.toString(),
        ...(CPU_PROFILE_DIR === undefined ? {} : { cpuProfileDir: resolve(CPU_PROFILE_DIR) }),
      }),
    );
  }

  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  const runs = results.map((r) => ({
    ...r,
    ofRaw: ratio(r.scanner.blocksPerSecond, r.rawVerbosity0.blocksPerSecond),
    overVerbose: ratio(r.scanner.blocksPerSecond, r.verbosity2.blocksPerSecond),
  }));
  const million = runs.find((r) => r.watchedSet.size >= 1e6);
  const goals = {
    ofRaw: runs.every((r) => r.ofRaw >= GOALS.ofRaw),
    overVerbose: runs.every((r) => r.overVerbose >= GOALS.overVerbose),
    cores: runs.every((r) => r.scanner.cores <= GOALS.cores),
    millionRss: million === undefined ? null : million.maxRssThroughScannerMB <= GOALS.millionRssMB,
  };
  const verdict = (met: boolean | null): string => (met === null ? 'not measured' : met ? 'met' : 'NOT met');

  say('');
  say(
    `${BLOCKS} post-MWEB blocks x ${TXS_PER_BLOCK} txs (${chain.txs} txs with coinbases and HogEx, ${Math.round(chain.bytes / BLOCKS / 1000)} kB/block), ${chain.expectedDeposits} deposits to ${RECEIVERS} addresses; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`,
  );
  const row = (name: string, value: (r: (typeof runs)[number]) => string): boolean =>
    say(`${name.padEnd(44)}${runs.map((r) => value(r).padStart(18)).join('')}`);
  row('watched addresses', (r) => r.watchedSet.size.toLocaleString('en'));
  row('watched set: load s / heap+buffers MB', (r) => `${r.watchedSet.loadSeconds.toFixed(2)} / ${r.watchedSet.heapMB}`);
  row('raw loop (verbosity 0) blocks/s', (r) => r.rawVerbosity0.blocksPerSecond.toFixed(1));
  row('verbosity-2 loop (JSON matching) blocks/s', (r) => r.verbosity2.blocksPerSecond.toFixed(1));
  row('scanner blocks/s', (r) => r.scanner.blocksPerSecond.toFixed(1));
  row('scanner txs/s', (r) => r.scanner.txsPerSecond.toLocaleString('en'));
  row('scanner / raw loop', (r) => r.ofRaw.toFixed(2));
  row('scanner / verbosity-2 loop', (r) => r.overVerbose.toFixed(2));
  row('scanner windows (64 blocks at most)', (r) => String(r.scanner.windows));
  row('scanner CPU, cores', (r) => r.scanner.cores.toFixed(2));
  row(
    'scanner process RSS MB: peak scanning / process peak through the scan',
    (r) => `${r.scanner.peakRssMB.toFixed(0)} / ${r.maxRssThroughScannerMB.toFixed(0)}`,
  );
  row('deposits stored / expected', (r) => `${r.scanner.depositsStored} / ${chain.expectedDeposits}${r.scanner.depositsMatch ? '' : ' !'}`);
  say(`goal scanner >= ${GOALS.ofRaw} x raw verbosity-0 loop: ${verdict(goals.ofRaw)}`);
  say(`goal scanner >= ${GOALS.overVerbose} x verbosity-2 loop: ${verdict(goals.overVerbose)}`);
  say(`goal scanner <= ${GOALS.cores} core: ${verdict(goals.cores)}`);
  say(`goal scanner process <= ${GOALS.millionRssMB} MB RSS with 1,000,000 watched: ${verdict(goals.millionRss)}`);
  if (BLOCKS < 300 || TXS_PER_BLOCK < 1000) say(`note: smaller than the issue's 300 blocks x 1,000 txs`);
  for (const r of runs.filter((run) => !run.scanner.depositsMatch)) {
    say(`${r.label}: the stored deposits do not match the expected ones: these figures are not valid`);
    process.exitCode = 1;
  }
  for (const r of runs) if (r.scanner.cpuProfile !== null) say(`CPU profile of the ${r.label} scanner pass: ${r.scanner.cpuProfile}`);

  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  appendFileSync(
    join(repoRoot, 'bench', 'results', 'scan-utxo.jsonl'),
    `${JSON.stringify({
      bench: 'scan-utxo',
      at: new Date().toISOString(),
      commit: gitCommit(),
      node: process.version,
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      blocks: BLOCKS,
      txsPerBlock: TXS_PER_BLOCK,
      txs: chain.txs,
      bytes: chain.bytes,
      watchedShare: WATCHED_SHARE,
      receivers: RECEIVERS,
      expectedDeposits: chain.expectedDeposits,
      preloadSeconds,
      profiled: CPU_PROFILE_DIR !== undefined,
      runs,
      goals,
    })}\n`,
  );
  say('figures appended to bench/results/scan-utxo.jsonl');
} finally {
  await database?.drop();
  await node.stop();
}
