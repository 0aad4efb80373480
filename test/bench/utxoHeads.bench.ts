// `pnpm bench:utxo-heads`: how soon the wallet learns of a new UTXO block. On a PRIVATE litecoind regtest (its own
// datadir and port; never the stack's node), mines BLOCKS blocks one at a time (`generatetoaddress`, each coinbase
// paying a watched address, so every block is one deposit and one UTXO to write), with irregular gaps between them
// (uniform in GAP_MS, the same seeded sequence for each pass), and measures from the `generatetoaddress` answer to
//   (a) the UtxoAdapter's watchHeads callback (a `waitfornewblock` long poll on its own connection), and
//   (b) the block recorded in MariaDB by a real ScannerService (etcd election, fenced ChainScanner window), seen as
//       the service's checkpoint metric moving, which it sets once the block's transaction has committed (sampled
//       every millisecond),
// first with the adapter's watchHeads (long poll plus the service's polling), then, as the baseline, with polling
// only (the same adapter with watchHeads hidden) at the service's default poll interval. Prints p50/p95/max of each
// and the ratios, and appends them to bench/results/utxo-heads.jsonl. A benchmark, not a test: it checks that every
// block was recorded with the node's hash only so as not to report figures of a scanner that recorded the wrong ones.
//
// Why not ZMQ `hashblock`: the node must be built with ZMQ, and Debian's litecoind is not (`litecoind -help` has no
// -zmqpub* options; the run records whether the node on PATH has them).
//
//   BLOCKS=50 WARMUP=3 GAP_MS=300-1500 SEED=1
import { execFileSync, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type ChainAdapter, createUtxoAdapter, scriptToAddress } from '@wallet/chains';
import { type Knex } from '@wallet/db';
import { Discovery } from '@wallet/discovery';
import { createLogger } from '@wallet/logger';
import { type BlockSource, ScannerService } from '@wallet/scanner';
import { repoRoot } from '../harness/repoRoot.js';
import { type PrivateLitecoind, startPrivateLitecoind } from './startPrivateLitecoind.js';
import { createOwners, insertWatchedAddresses } from './watchedAddressFixtures.js';
import { createTestDatabase } from '@wallet/testkit';

const BLOCKS = Number(process.env['BLOCKS'] ?? 50);
const WARMUP = Number(process.env['WARMUP'] ?? 3);
const [GAP_MIN, GAP_MAX] = (process.env['GAP_MS'] ?? '300-1500').split('-').map(Number) as [number, number];
const SEED = Number(process.env['SEED'] ?? 1);
const CHAIN = 'ltc'; // the dev registry's litecoin regtest chain
// The defaults production runs with (transrv passes neither): ScannerService's pollMs, UtxoAdapter's longPollMs.
const SERVICE_POLL_MS = 500;
const ADAPTER_LONG_POLL_MS = 10_000;
const say = (msg: string): boolean => process.stdout.write(`[bench:utxo-heads] ${msg}\n`);

if (!Number.isSafeInteger(BLOCKS) || BLOCKS < 1 || !Number.isSafeInteger(WARMUP) || WARMUP < 1)
  throw new Error('BLOCKS and WARMUP: whole numbers, at least 1');
if (!(GAP_MIN >= 0 && GAP_MAX >= GAP_MIN)) throw new Error('GAP_MS: min-max in milliseconds, e.g. 300-1500');

type Mode = 'watch' | 'poll';
/** One mined block: when `generatetoaddress` was sent and answered, and when each watcher saw it (ms, performance.now()). */
type Mined = { height: number; hash: string; sent: number; answered: number; headSeen?: number; recorded?: number };
type Stats = { n: number; p50: number; p95: number; max: number; mean: number };

const startedAt = new Date();
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((l) => round(l, 2)) };
const litecoindVersion = execFileSync('litecoind', ['-version']).toString().split('\n')[0]?.trim() ?? 'unknown';
const nodeHasZmq = /-zmqpubhashblock/.test(execFileSync('litecoind', ['-help']).toString());
say(`${startedAt.toISOString()}; ${machine.cpus} cpus (${machine.cpu}), load ${machine.loadavg.join(' ')}`);
say(`${litecoindVersion}; ZMQ (-zmqpubhashblock) in this build: ${nodeHasZmq ? 'yes (not used by the adapter)' : 'no'}`);

say('starting a private litecoind regtest (own datadir and RPC port)');
const node = await startPrivateLitecoind();
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
const discovery = new Discovery({
  endpoints: [process.env['ETCD_ENDPOINTS'] ?? 'http://127.0.0.1:2379'],
  env: 'bench',
  log: createLogger('bench-utxo-heads', { level: 'error' }),
});
try {
  database = await createTestDatabase();
  const { db } = database;
  // Coinbases pay one watched P2WPKH address: each block is then a deposit and a UTXO written in its fenced window.
  const payee = scriptToAddress(CHAIN, 'regtest', Buffer.concat([Buffer.from([0, 20]), randomBytes(20)]));
  if (payee === null) throw new Error('no regtest address for a P2WPKH script');
  const accounts = await createOwners(db, 1);
  await insertWatchedAddresses(db, { chain: CHAIN, from: 0, to: 1, receivers: [payee], accounts, say: () => undefined });
  await node.call('generatetoaddress', [1, payee]);

  const registry = AssetRegistry.parse(devRegistryInput);
  const env = `bench-utxo-heads-${randomBytes(4).toString('hex')}`; // a namespace of its own: no other scanner competes
  const gaps = gapSequence(BLOCKS + WARMUP);
  const passes = {} as Record<Mode, { blocks: Mined[]; warmup: Mined[] }>;
  for (const mode of ['watch', 'poll'] as const) {
    const adapter = await createUtxoAdapter({
      chain: registry.chain(CHAIN),
      assets: [...registry.assets.values()].filter((a) => a.chain === CHAIN),
      rpcUrl: node.rpcUrl,
    });
    const mined = new Map<number, Mined>();
    const service = new ScannerService({
      db,
      etcd: discovery.etcd,
      env,
      chain: CHAIN,
      source: headsOf(adapter, mode, (height) => {
        const block = mined.get(height);
        if (block !== undefined) block.headSeen ??= performance.now();
      }),
      canonical: (address) => adapter.canonicalAddress(address),
      candidate: `bench-${mode}`,
      ttlSeconds: 10,
      log: createLogger('bench-utxo-heads', { level: 'error' }).child({ mode }),
      startHeight: (await adapter.head()).number + 1,
    });
    say(`${mode}: ${mode === 'watch' ? 'watchHeads (waitfornewblock) plus' : 'no watchHeads,'} polling every ${SERVICE_POLL_MS} ms`);
    service.start();
    // Every millisecond: a block counts as recorded once the service's checkpoint (set after its commit) reaches it.
    let recordedUpTo = 0;
    const sampler = setInterval(() => {
      const checkpoint = service.metrics().checkpoint;
      if (checkpoint === null || checkpoint <= recordedUpTo) return;
      const now = performance.now();
      for (let h = recordedUpTo + 1; h <= checkpoint; h++) {
        const block = mined.get(h);
        if (block !== undefined) block.recorded ??= now;
      }
      recordedUpTo = checkpoint;
    }, 1);
    const blocks: Mined[] = [];
    try {
      for (let i = 0; i < WARMUP + BLOCKS; i++) {
        await sleep(gaps[i] ?? GAP_MIN);
        blocks.push(await mineOne(node, payee, mined));
        if (i < WARMUP) await until(() => blocks[i]!.recorded !== undefined, 30_000, `${mode}: warm-up block recorded`);
      }
      await until(() => blocks.every((b) => b.recorded !== undefined), 30_000, `${mode}: every block recorded`);
    } finally {
      clearInterval(sampler);
      await service.stop();
      await adapter.close();
    }
    await checkRecorded(db, node, blocks);
    passes[mode] = { warmup: blocks.slice(0, WARMUP), blocks: blocks.slice(WARMUP) };
    const headMissed = passes[mode].blocks.filter((b) => b.headSeen === undefined).length;
    say(
      `${mode}: ${BLOCKS} blocks (after ${WARMUP} warm-up), recorded p50 ${stats(delays(passes[mode].blocks, 'recorded')).p50} ms${mode === 'watch' ? `, head callback missed for ${headMissed}` : ''}`,
    );
  }

  const watch = passes.watch.blocks;
  const poll = passes.poll.blocks;
  const figures = {
    watchHead: stats(delays(watch, 'headSeen')),
    watchRecorded: stats(delays(watch, 'recorded')),
    pollRecorded: stats(delays(poll, 'recorded')),
    generateMs: stats(delays([...watch, ...poll], 'answered', 'sent')),
  };
  const ratio = (key: keyof Stats): number => round(figures.pollRecorded[key] / figures.watchRecorded[key], 2);
  const ratios = { p50: ratio('p50'), p95: ratio('p95'), max: ratio('max'), mean: ratio('mean') };
  const headMissed = watch.filter((b) => b.headSeen === undefined).length;

  say('');
  say(
    `${BLOCKS} blocks per pass, gaps ${GAP_MIN}-${GAP_MAX} ms (seed ${SEED}); ${machine.cpus} cpus (${machine.cpu}); ${startedAt.toISOString().slice(0, 10)}`,
  );
  say(`ms after the generatetoaddress answer              n      p50      p95      max     mean`);
  const row = (name: string, s: Stats): boolean =>
    say(`${name.padEnd(46)}${String(s.n).padStart(5)}${[s.p50, s.p95, s.max, s.mean].map((v) => v.toFixed(1).padStart(9)).join('')}`);
  row('(a) watchHeads callback (waitfornewblock)', figures.watchHead);
  row('(b) recorded in MariaDB, watchHeads + poll', figures.watchRecorded);
  row('(b) recorded in MariaDB, poll only (baseline)', figures.pollRecorded);
  row('(generatetoaddress itself, send to answer)', figures.generateMs);
  say(`poll only / watchHeads, recorded: p50 ${ratios.p50}x, p95 ${ratios.p95}x, max ${ratios.max}x, mean ${ratios.mean}x`);
  if (headMissed > 0) say(`watchHeads callback missed ${headMissed} of ${BLOCKS} blocks (those were found by polling)`);
  say('(a) can be negative: the node wakes waitfornewblock before it answers generatetoaddress');

  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  appendFileSync(
    join(repoRoot, 'bench', 'results', 'utxo-heads.jsonl'),
    `${JSON.stringify({
      bench: 'utxo-heads',
      at: startedAt.toISOString(),
      commit: gitCommit(),
      node: process.version,
      ...machine,
      litecoind: litecoindVersion,
      nodeHasZmq,
      blocks: BLOCKS,
      warmup: WARMUP,
      gapMs: [GAP_MIN, GAP_MAX],
      seed: SEED,
      servicePollMs: SERVICE_POLL_MS,
      adapterLongPollMs: ADAPTER_LONG_POLL_MS,
      ...figures,
      watchHeadMissed: headMissed,
      pollOverWatch: ratios,
      samples: {
        watchHead: watch.map((b) => (b.headSeen === undefined ? null : round(b.headSeen - b.answered, 1))),
        watchRecorded: delays(watch, 'recorded').map((v) => round(v, 1)),
        pollRecorded: delays(poll, 'recorded').map((v) => round(v, 1)),
      },
    })}\n`,
  );
  say('figures appended to bench/results/utxo-heads.jsonl');
} finally {
  await database?.drop();
  await discovery.close();
  await node.stop();
}

/**
 * The adapter as the scanner's block source: in `watch` mode with its watchHeads, each head also reported to
 * `seen` first; in `poll` mode with watchHeads hidden, so the service only polls. Every other member is the adapter's.
 */
function headsOf(adapter: ChainAdapter, mode: Mode, seen: (height: number) => void): BlockSource {
  const watchHeads = (onHead: (height: number) => void): (() => void) =>
    adapter.watchHeads!((height) => {
      seen(height);
      onHead(height);
    });
  return new Proxy<BlockSource>(adapter, {
    get(target, key) {
      if (key === 'watchHeads') return mode === 'watch' ? watchHeads : undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (target, key) => (key === 'watchHeads' ? mode === 'watch' : Reflect.has(target, key)),
  });
}

async function mineOne(ltc: PrivateLitecoind, payee: string, mined: Map<number, Mined>): Promise<Mined> {
  const height = (await ltc.call<number>('getblockcount')) + 1;
  // Registered before the call: the head callback can come before the answer.
  const block: Mined = { height, hash: '', sent: 0, answered: 0 };
  mined.set(height, block);
  block.sent = performance.now();
  const [hash] = await ltc.call<string[]>('generatetoaddress', [1, payee]);
  block.answered = performance.now();
  if (hash === undefined) throw new Error('generatetoaddress mined nothing');
  block.hash = hash;
  return block;
}

/** Every block is in chain_blocks with the hash the node gave, and its coinbase is one deposit. */
async function checkRecorded(db: Knex, ltc: PrivateLitecoind, blocks: readonly Mined[]): Promise<void> {
  const rows = await db('chain_blocks')
    .where({ chain: CHAIN })
    .whereIn(
      'number',
      blocks.map((b) => b.height),
    )
    .select<{ number: string | number; hash: string }[]>('number', 'hash');
  const stored = new Map(rows.map((r) => [Number(r.number), r.hash]));
  const wrong = blocks.filter((b) => stored.get(b.height) !== b.hash);
  if (wrong.length > 0) throw new Error(`blocks not recorded with the node's hash: ${wrong.map((b) => b.height).join(', ')}`);
  const [row] = await db('deposits')
    .where({ chain: CHAIN })
    .whereIn('txid', await Promise.all(blocks.map(async (b) => (await ltc.call<{ tx: string[] }>('getblock', [b.hash, 1])).tx[0]!)))
    .count<{ n: number | string }[]>({ n: '*' });
  if (Number(row?.n) !== blocks.length) throw new Error(`coinbase deposits: ${String(row?.n)} of ${blocks.length}`);
}

/** Milliseconds from each block's `generatetoaddress` answer (or `from`) to `at`, for the blocks that have `at`. */
function delays(blocks: readonly Mined[], at: 'headSeen' | 'recorded' | 'answered', from: 'answered' | 'sent' = 'answered'): number[] {
  return blocks.flatMap((b) => (b[at] === undefined ? [] : [b[at] - b[from]]));
}

/** Nearest-rank percentiles and the mean, in ms to 0.1. */
function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.max(0, Math.ceil(sorted.length * p) - 1)] ?? NaN;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { n: sorted.length, p50: round(pct(0.5), 1), p95: round(pct(0.95), 1), max: round(pct(1), 1), mean: round(mean, 1) };
}

/** `count` pauses uniform in [GAP_MIN, GAP_MAX] ms from a seeded generator (mulberry32): each pass waits the same. */
function gapSequence(count: number): number[] {
  let state = SEED >>> 0;
  return Array.from({ length: count }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    return Math.round(GAP_MIN + unit * (GAP_MAX - GAP_MIN));
  });
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: repoRoot }).toString().trim();
  } catch {
    return 'unknown';
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
