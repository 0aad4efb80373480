// `pnpm bench:treasury`: the treasury's two heavy jobs on a private anvil and a fresh MariaDB database, each against a
// baseline measured in the same run and reported as a ratio. Prints the figures, checks that the work was done (every
// sweep confirmed, every figure exact), and appends one JSON line per scenario to bench/results/treasury.jsonl. A
// benchmark, not a test: it asserts nothing about timings.
//
// 1. sweeps: SWEEPS deposit addresses each holding a credited ETH deposit, swept into the hot wallet by signsrv's sweep
//    job (EvmSweeps: plan, sign in a MySQL transaction, send, follow each receipt to 2 confirmations, record the fee),
//    passes back to back while a block is mined every MINE_MS. Baseline: the chain alone doing the same movements: as
//    many ETH transfers from as many funded keys to one address, signed with the same signer and sent with
//    eth_sendRawTransaction, waited on until each has 2 confirmations, same mining cadence.
// 2. reconcile: one reconciliation measure (measureTreasury: the books in one MySQL snapshot, then the node's balance
//    of the hot wallet and every deposit address at the scanner's block, 16 in flight) with ADDRESSES deposit
//    addresses. Baseline: eth_getBalance of the same addresses at the same block, 16 in flight, nothing else.
//
// Settings (environment): BENCH_SWEEPS (200), BENCH_ADDRESSES (2000), BENCH_MINE_MS (200), BENCH_REPEAT (3: the
// reconcile scenario's runs, the median kept).
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AssetRegistry } from '@wallet/assets';
import { createEvmAdapter } from '@wallet/chains';
import { accountDerivationPath } from '@wallet/keys';
import { createLogger } from '@wallet/logger';
import { EvmSweeps, measureTreasury } from '@wallet/payout';
import { SeedVault, evmDepositSigner, evmFeeWalletPath, evmHotWalletPath, evmSigner } from '@wallet/signer';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit } from './benchKit.js';
import { mineEvery } from './mineEvery.js';
import { devRpc, startAnvil, createTestDatabase } from '@wallet/testkit';

const SWEEPS = Number(process.env['BENCH_SWEEPS'] ?? 200);
const ADDRESSES = Number(process.env['BENCH_ADDRESSES'] ?? 2000);
const MINE_MS = Number(process.env['BENCH_MINE_MS'] ?? 200);
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 3);
const CHAIN_ID = 31391;
const ETHER = 10n ** 18n;
const DEPOSIT = ETHER / 20n;
const PRICE = 2n * 10n ** 9n;

const log = createLogger('bench-treasury');
const quiet = createLogger('bench-treasury', { level: 'silent' });

async function main(): Promise<void> {
  const { db, drop } = await createTestDatabase();
  const anvil = await startAnvil({ chainId: CHAIN_ID, args: ['--accounts', '1'] });
  const rpc = <T>(method: string, params: unknown[] = []): Promise<T> => devRpc<T>(anvil.rpcUrl, method, params);

  const registry = AssetRegistry.parse({
    chains: [{ id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: CHAIN_ID, nativeAsset: 'ETH' }],
    assets: [{ id: 'ETH', chain: 'eth', decimals: 18, confirmations: 2, minWithdrawal: '1', withdrawalFee: '1' }],
  });
  const adapter = await createEvmAdapter({ chain: registry.chain('eth'), assets: [...registry.assets.values()], rpcUrl: anvil.rpcUrl });
  const vault = new SeedVault(randomBytes(16));
  const depositKeys = vault.signer(evmDepositSigner, accountDerivationPath('eth', 'regtest'));
  const hot = vault.signer(evmSigner, evmHotWalletPath).address;
  const results: Record<string, unknown>[] = [];
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavg: loadavg() };
  try {
    await db('transrv_nodes').insert({ node_id: 't1' });
    await db('clients').insert({ id: 'cl_1', name: 'Bench', key_id: 'k_bench', secret: 's' });
    await db('hot_wallets').insert({ chain: 'eth', address: hot });
    await db('chain_blocks').insert({ chain: 'eth', number: 0, hash: `0x${'00'.repeat(32)}`, parent_hash: `0x${'00'.repeat(32)}` });

    // Addresses 0..SWEEPS-1 are swept by the system; SWEEPS..2*SWEEPS-1 by the baseline; all of them (and more, up to
    // ADDRESSES) are the deposit addresses reconciliation reads.
    const total = Math.max(ADDRESSES, 2 * SWEEPS);
    log.info({ addresses: total }, 'recording deposit addresses and funding them');
    await inChunks(
      Array.from({ length: total }, (_, i) => i),
      500,
      async (batch) => {
        await db('accounts').insert(batch.map((i) => ({ id: `acc_${i}`, client_id: 'cl_1', external_id: `acc_${i}`, node_id: 't1' })));
        await db('addresses').insert(
          batch.map((i) => ({
            chain: 'eth',
            address: depositKeys.address(i),
            derivation_index: i,
            path: `m/44'/60'/0'/0/${i}`,
            account_id: `acc_${i}`,
            client_id: 'cl_1',
          })),
        );
      },
    );
    await inChunks(
      Array.from({ length: 2 * SWEEPS }, (_, i) => i),
      50,
      async (batch) =>
        void (await Promise.all(batch.map((i) => rpc('anvil_setBalance', [depositKeys.address(i), `0x${DEPOSIT.toString(16)}`])))),
    );
    await db('deposits').insert(
      Array.from({ length: SWEEPS }, (_, i) => ({
        id: `dep_${i}`,
        chain: 'eth',
        txid: `0x${randomBytes(32).toString('hex')}`,
        output_index: -1,
        asset: 'ETH',
        address: depositKeys.address(i).toLowerCase(),
        account_id: `acc_${i}`,
        client_id: 'cl_1',
        node_id: 't1',
        amount: DEPOSIT.toString(),
        block_number: 1,
        block_hash: '0x00',
        status: 'credited',
        credited_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 1 SECOND'),
      })),
    );
    await rpc('anvil_mine', ['0x2']);

    // 1. sweeps
    const sweeps = new EvmSweeps({
      chain: registry.chain('eth'),
      adapter,
      registry,
      db,
      log: quiet,
      depositKeys,
      feeWallet: vault.signer(evmSigner, evmFeeWalletPath),
      hotWallet: hot,
      maxFeePerGas: 100n * 10n ** 9n,
      thresholds: { ETH: 10n ** 15n },
      maxInFlight: SWEEPS,
      rebroadcastAfterMs: 5000,
    });
    await sweeps.init();
    log.info({ sweeps: SWEEPS, mineMs: MINE_MS }, 'sweeps: the system');
    let cadence = mineEvery(() => rpc('anvil_mine', ['0x1']), MINE_MS);
    const t0 = performance.now();
    let passes = 0;
    for (;;) {
      await sweeps.pass();
      passes++;
      const [[row]] = (await db.raw("SELECT COUNT(*) AS n FROM sweeps WHERE status = 'confirmed'")) as [[{ n: number }]];
      if (Number(row.n) >= SWEEPS) break;
      if (performance.now() - t0 > 600_000) throw new Error(`sweeps: ${row.n} of ${SWEEPS} confirmed after 10 minutes`);
    }
    const systemMs = performance.now() - t0;
    await cadence.stop();
    const [[check]] = (await db.raw(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT address) AS a, CAST(SUM(amount + sweep_fee) AS CHAR) AS moved FROM sweeps WHERE status = 'confirmed'",
    )) as [[{ n: number; a: number; moved: string }]];
    if (Number(check.n) !== SWEEPS || Number(check.a) !== SWEEPS || BigInt(check.moved) !== BigInt(SWEEPS) * DEPOSIT) {
      throw new Error(`sweeps: the work was not done as expected: ${JSON.stringify(check)}`);
    }

    log.info({ transfers: SWEEPS }, 'sweeps: the baseline (raw transfers from as many keys)');
    const sink = `0x${randomBytes(20).toString('hex')}`;
    cadence = mineEvery(() => rpc('anvil_mine', ['0x1']), MINE_MS);
    const t1 = performance.now();
    const hashes: string[] = [];
    await inChunks(
      Array.from({ length: SWEEPS }, (_, i) => SWEEPS + i),
      64,
      async (batch) => {
        const signed = batch.map((i) =>
          depositKeys.sign({
            index: i,
            tx: {
              chainId: CHAIN_ID,
              nonce: 0,
              to: sink,
              value: DEPOSIT - 21_000n * PRICE,
              data: '0x',
              gasLimit: 21_000n,
              maxFeePerGas: PRICE,
              maxPriorityFeePerGas: PRICE,
            },
          }),
        );
        hashes.push(...signed.map((t) => t.txid));
        await Promise.all(signed.map((t) => adapter.broadcast(t.raw)));
      },
    );
    for (;;) {
      const head = (await adapter.head()).number;
      const receipts = await Promise.all(hashes.map((h) => adapter.receipt(h)));
      if (receipts.every((r) => r !== null && head - r.blockNumber + 1 >= 2)) break;
      if (performance.now() - t1 > 600_000) throw new Error('baseline transfers not confirmed after 10 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    const rawMs = performance.now() - t1;
    await cadence.stop();
    const sweepResult = {
      scenario: 'sweeps',
      sweeps: SWEEPS,
      passes,
      systemPerSecond: round((SWEEPS * 1000) / systemMs),
      baselinePerSecond: round((SWEEPS * 1000) / rawMs),
      ratio: round(rawMs / systemMs),
      systemMs: Math.round(systemMs),
      baselineMs: Math.round(rawMs),
      mineMs: MINE_MS,
    };
    log.info(sweepResult, 'sweeps: done');
    results.push(sweepResult);

    // 2. reconcile
    const tip = Number(await rpc<string>('eth_blockNumber'));
    await db('chain_blocks').where({ chain: 'eth' }).delete();
    await db('chain_blocks').insert({ chain: 'eth', number: tip, hash: `0x${'ab'.repeat(32)}`, parent_hash: `0x${'cd'.repeat(32)}` });
    const addresses = [hot, ...Array.from({ length: total }, (_, i) => depositKeys.address(i))];
    const systemRuns: number[] = [];
    const rawRuns: number[] = [];
    let figures: Awaited<ReturnType<typeof measureTreasury>> = [];
    for (let r = 0; r < REPEAT; r++) {
      log.info({ run: r + 1, of: REPEAT, addresses: addresses.length }, 'reconcile: one measure, then the raw balance reads');
      const s = performance.now();
      figures = await measureTreasury(db, registry, new Map([['eth', adapter]]));
      systemRuns.push(performance.now() - s);
      const b = performance.now();
      let sum = 0n;
      for (let i = 0; i < addresses.length; i += 16) {
        for (const v of await Promise.all(addresses.slice(i, i + 16).map((a) => adapter.balanceOf(a, tip)))) sum += v;
      }
      rawRuns.push(performance.now() - b);
      const eth = figures.find((f) => f.asset === 'ETH')!;
      if (eth.hot + eth.deposit !== sum) throw new Error(`reconcile: measured ${eth.hot + eth.deposit}, the raw reads sum ${sum}`);
    }
    const systemMedian = median(systemRuns);
    const rawMedian = median(rawRuns);
    const reconcileResult = {
      scenario: 'reconcile',
      addresses: addresses.length,
      systemMs: Math.round(systemMedian),
      baselineMs: Math.round(rawMedian),
      ratio: round(rawMedian / systemMedian),
      runs: REPEAT,
    };
    log.info(reconcileResult, 'reconcile: done');
    results.push(reconcileResult);
  } finally {
    await adapter.close();
    await anvil.stop();
    await drop();
  }
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  for (const r of results) appendFileSync(join(dir, 'treasury.jsonl'), `${JSON.stringify({ at, commit: gitCommit(), machine, ...r })}\n`);
  for (const r of results) console.log(JSON.stringify(r));
  console.log(
    'goal lines: sweeps ratio (system sweeps/s over raw transfers/s of the same node) and reconcile ratio (raw balance reads / a whole measure): closer to 1 is better',
  );
}

/** Runs `fn` on consecutive slices of `items`, one slice after the other. */
async function inChunks<T>(items: readonly T[], size: number, fn: (chunk: readonly T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

const round = (n: number) => Math.round(n * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

main().catch((error: unknown) => {
  log.error({ err: error }, 'bench:treasury failed');
  process.exit(1);
});
