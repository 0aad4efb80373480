// `pnpm bench:withdrawals`: the withdrawal pipeline on the local stack's anvil and litecoind, four scenarios, each
// against a baseline measured in the same run and reported as a ratio. Prints the figures, checks that the system did
// the work it was timed on (a benchmark of a broken system is worthless), and appends one JSON line per scenario to
// bench/results/withdrawals.jsonl. A benchmark, not a test: it asserts nothing about timings.
//
// 1. accept: REQUESTS signed POST /v1/accounts/:id/withdrawals (ETH, fresh destinations, one Idempotency-Key each)
//    over ACCOUNTS funded accounts on both transrv nodes, at CONCURRENCY, through gatesrv -> gRPC -> transrv -> MySQL
//    until 201 pending_review (transrv's request relay forwards each to signsrv over Redis meanwhile: part of the
//    system). Baseline: one bare fastify process calling createWithdrawal on the same database, same load generator,
//    same requests and concurrency.
// 2. payout: PAYOUTS withdrawals created and received by signsrv, then approved through signsrv's review API at
//    APPROVE_CONCURRENCY (signsrv signs and broadcasts before answering) while a block is mined every MINE_MS, timed
//    from the first approval until the last is `confirmed` in MySQL (3 confirmations, scanned and settled by the
//    owning transrv). Baseline: the chain alone doing the same payouts: as many ETH transfers signed with ethers and
//    sent with eth_sendRawTransaction at the same concurrency and mining cadence, until each has 3 confirmations.
// 3. payout-ltc-unbatched, payout-ltc-batched: the same for PAYOUTS_LTC Litecoin withdrawals on the stack litecoind,
//    in a cluster of their own whose wallet is first funded by credited deposits (PAYOUTS_LTC + 20 outputs of 1 LTC,
//    untimed), with a block mined every MINE_MS to an address outside every wallet. Unbatched: signsrv's default
//    policy, one transaction per withdrawal; batched: SIGNSRV_UTXO_PAYOUTS {"ltc": LTC_BATCH}. Baseline: the node
//    alone making the same payouts: PAYOUTS_LTC transactions signed beforehand by its miner wallet (each spending its
//    own confirmed output, at the fee rate the system paid) sent with sendrawtransaction at the same concurrency and
//    mining cadence, until each has the LTC asset's confirmations.
//
// Settings, as `--name=value` or BENCH_<NAME> (e.g. `pnpm bench:withdrawals --requests=500`, BENCH_PAYOUTS=100):
//   scenarios accept,payout,payout-ltc-unbatched,payout-ltc-batched (any of them, comma-separated),
//   requests 2000, warmup 200 (requests before the measured ones, for the cluster and the baseline alike),
//   concurrency 64, accounts 64, payouts 300, payouts-ltc 100, approve-concurrency 32, mine-ms 200,
//   confirm-timeout-s 600.
// The services run from dist/ (the package script runs `tsc -b` first), with transrv's and signsrv's production
// re-send intervals rather than the test harness's short ones. Progress is logged as JSON lines (pino).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { signRequest } from '@wallet/client-auth';
import { type Db, dropDatabase } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { utxoNetwork } from '@wallet/keys';
import { address as btcAddress } from 'bitcoinjs-lib';
import { ANVIL_CHAIN_ID, ANVIL_RPC_URL, anvilProvider } from '../contracts/deploy.js';
import type { Credentials } from '../harness/ApiClient.js';
import type { Cluster } from '../harness/Cluster.js';
import { Litecoind } from '../harness/litecoind.js';
import { UtxoWithdrawalWorld } from '../harness/UtxoWithdrawalWorld.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit } from './benchKit.js';
import { mysqlUrl } from '../harness/stackEnv.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { pidsNamed, startCpuMeter } from './cpuMeter.js';
import { inBatches } from './inBatches.js';
import type { RequestSpec } from './loadGenerator.js';
import { randomAddress } from './randomAddress.js';
import { type RawChainPayouts, measureRawChainPayouts } from './rawChainPayouts.js';
import { type RawUtxoPayouts, measureRawUtxoPayouts, prepareRawUtxoPayouts } from './rawUtxoPayouts.js';
import { randomUtxoAddress } from './randomUtxoAddress.js';
import { type CountedLoadResult, runRequests } from './runRequests.js';
import { type SystemPayouts, measureSystemPayouts } from './systemPayouts.js';

const SCENARIOS = ['accept', 'payout', 'payout-ltc-unbatched', 'payout-ltc-batched'] as const;
type Scenario = (typeof SCENARIOS)[number];
const SELECTED = scenariosSetting();
const REQUESTS = setting('requests', 2000);
const WARMUP = setting('warmup', 200, 0);
const CONCURRENCY = setting('concurrency', 64);
const ACCOUNTS = setting('accounts', 64);
const PAYOUTS = setting('payouts', 300);
const PAYOUTS_LTC = setting('payouts-ltc', 100);
/** Litoshi per LTC withdrawal (0.01 LTC). */
const LTC_AMOUNT = 1_000_000n;
/** Outputs of 1 LTC deposited beyond one per withdrawal: an unbatched withdrawal spends one of its own. */
const LTC_SPARE_OUTPUTS = 20;
/** signsrv's batching policy in payout-ltc-batched. */
const LTC_BATCH = { batchWindowMs: 1000, maxOutputs: 50 };
const APPROVE_CONCURRENCY = setting('approve-concurrency', 32);
const MINE_MS = setting('mine-ms', 200);
const CONFIRM_TIMEOUT_MS = setting('confirm-timeout-s', 600) * 1000;
const RECEIVE_TIMEOUT_MS = 180_000;

const log = createLogger('bench-withdrawals');
const say = (msg: string): boolean => process.stdout.write(`[bench:withdrawals] ${msg}\n`);

type Check = { readonly scenario: Scenario; readonly name: string; readonly ok: boolean; readonly detail: string };
const checks: Check[] = [];
function check(scenario: Check['scenario'], name: string, ok: boolean, detail: string): void {
  checks.push({ scenario, name, ok, detail });
  if (ok) log.info({ scenario, check: name, detail }, 'check holds');
  else log.error({ scenario, check: name, detail }, 'CHECK FAILED');
}

// Services run from the compiled output, as in production.
process.env['WALLET_RUN_FROM'] = 'dist';
log.info({ scenarios: [...SELECTED] }, 'bench:withdrawals');
if (SELECTED.has('accept') || SELECTED.has('payout')) await evmScenarios();
for (const scenario of ['payout-ltc-unbatched', 'payout-ltc-batched'] as const) {
  if (SELECTED.has(scenario)) await ltcPayoutScenario(scenario);
}
if (checks.some((c) => !c.ok)) {
  say('some checks FAILED: these figures are not valid');
  process.exitCode = 1;
}

/** The two scenarios on anvil (accept, payout; either or both), in one withdrawal world. */
async function evmScenarios(): Promise<void> {
  const provider = anvilProvider();
  let world: WithdrawalWorld | undefined;
  let database: string | undefined;
  // Our own connection to the cluster's database: it outlives the world (whose fixtures close with it).
  let fixtures: LedgerFixtures | undefined;
  let baseline: ChildProcess | undefined;
  try {
    log.info(
      {
        requests: REQUESTS,
        warmup: WARMUP,
        concurrency: CONCURRENCY,
        accounts: ACCOUNTS,
        payouts: PAYOUTS,
        approveConcurrency: APPROVE_CONCURRENCY,
      },
      'starting the withdrawal world on the stack anvil: gatesrv, accountsrv, transrv t1+t2, signsrv from dist/',
    );
    world = await WithdrawalWorld.start({
      keepDatabase: true,
      extraEnv: { TRANSRV_RESEND_AFTER_MS: '10000', SIGNSRV_RESEND_AFTER_MS: '10000' },
    });
    database = world.cluster.database;
    const { cluster } = world;
    const loadAverageAtStart = loadavg()[0] ?? 0;
    // CPU time per process over each measured phase: the services, and the stack's shared servers they load.
    const sharedPids = pidsNamed(['mariadbd', 'mysqld', 'anvil', 'redis-server']);
    const clusterPids = { ...sharedPids, ...Object.fromEntries([...cluster.processes].map(([label, p]) => [label, p.child.pid!])) };
    fixtures = new LedgerFixtures(database);
    const db = fixtures.db;
    const walletAssets = cluster.serviceEnv['WALLET_ASSETS'];
    const eth = cluster.registry.asset('ETH');
    const amount = eth.minWithdrawal;
    log.info({ database, gateway: cluster.gatewayUrl, signsrv: cluster.signsrvUrl }, 'cluster ready');

    const accounts: string[] = [];
    for (let i = 0; i < ACCOUNTS; i++) accounts.push(await world.fundedAccount({ ETH: 10n ** 24n }));
    const owner = await db('accounts').where({ id: accounts[0]! }).first<{ client_id: string }>('client_id');
    const clientId = owner.client_id;
    const nodes = Object.fromEntries(
      (
        await db('accounts')
          .whereIn('id', accounts)
          .groupBy('node_id')
          .select<{ node_id: string; n: number | string }[]>('node_id', db.raw('COUNT(*) AS n'))
      ).map((r) => [r.node_id, Number(r.n)]),
    );
    log.info({ accounts: ACCOUNTS, nodes }, 'accounts funded');
    // Checks of the world and the database as a whole belong to the first scenario run.
    const tag: Scenario = SELECTED.has('accept') ? 'accept' : 'payout';
    check(tag, 'accounts on both transrv nodes', Object.keys(nodes).length >= 2, JSON.stringify(nodes));

    const credentials = world.api.credentials;
    /** Withdrawal requests over the accounts in turn, each with a fresh destination and key (recorded in `keys`). */
    const withdrawalRequests =
      (keys: string[]) =>
      (i: number): RequestSpec =>
        signedWithdrawal(
          credentials,
          accounts[i % accounts.length]!,
          { asset: 'ETH', to: randomAddress(), amount: amount.toString() },
          keys,
        );

    /** The warm-up, then the measured requests, against the cluster or the baseline. */
    const acceptRun = async (target: 'cluster' | 'baseline', url: string, pids: Record<string, number>) => {
      const warmupKeys: string[] = [];
      const keys: string[] = [];
      const warmup = WARMUP > 0 ? await runRequests(url, CONCURRENCY, WARMUP, withdrawalRequests(warmupKeys), { ok: accepted }) : undefined;
      log.info({ target, requests: REQUESTS, concurrency: CONCURRENCY, warmupErrors: warmup?.errors ?? 0 }, 'accept: warmed up; measuring');
      const cpuUsed = startCpuMeter(pids);
      const result = await runRequests(url, CONCURRENCY, REQUESTS, withdrawalRequests(keys), {
        ok: accepted,
        onProgress: (answered) => log.info({ target, answered, of: REQUESTS }, 'accept: requests answered'),
      });
      const cpuSeconds = cpuUsed();
      say(
        `accept ${target.padEnd(9)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(1).padStart(7)} ms  p99 ${result.p99Ms.toFixed(1).padStart(7)} ms  errors ${result.errors}  ${JSON.stringify(result.statuses)}`,
      );
      for (const sample of result.errorSamples) say(`  error: ${sample}`);
      say(`  CPU s: ${JSON.stringify(cpuSeconds)}`);
      return { warmup, result: { ...result, cpuSeconds }, keys: [...warmupKeys, ...keys] };
    };

    // ------------------------------------------------------------------ 1. accept, cluster
    let acceptCluster: Awaited<ReturnType<typeof acceptRun>> | undefined;
    let relayDrainSeconds: number | null = null;
    if (SELECTED.has('accept')) {
      log.info('accept: the cluster');
      acceptCluster = await acceptRun('cluster', cluster.gatewayUrl, clusterPids);
      const acceptedRows = await rowsByKey(db, clientId, acceptCluster.keys);
      checkExactlyOnce('cluster', acceptCluster.keys, acceptedRows, acceptCluster.result, acceptCluster.warmup);
      const relayStarted = performance.now();
      const receivedAll = await waitReceived(
        db,
        acceptedRows.map((r) => r.id),
        'accept',
      );
      relayDrainSeconds = receivedAll ? (performance.now() - relayStarted) / 1000 : null;
      check(
        'accept',
        'signsrv received every accepted withdrawal',
        receivedAll,
        relayDrainSeconds === null ? 'not within the timeout' : `${relayDrainSeconds.toFixed(2)} s after the last 201`,
      );
    }

    // ------------------------------------------------------------------ 2. payout, system
    let payout: { system: SystemPayouts & CpuSeconds; observations: Observations } | undefined;
    if (SELECTED.has('payout')) {
      log.info({ payouts: PAYOUTS }, 'payout: creating the withdrawals through the gateway');
      const payoutKeys: string[] = [];
      const created = await runRequests(cluster.gatewayUrl, CONCURRENCY, PAYOUTS, withdrawalRequests(payoutKeys), { ok: accepted });
      const payoutRows = await rowsByKey(db, clientId, payoutKeys);
      check(
        'payout',
        'every payout withdrawal created once',
        created.errors === 0 && payoutRows.length === PAYOUTS && new Set(payoutRows.map((r) => r.idempotency_key)).size === PAYOUTS,
        `${payoutRows.length} rows of ${PAYOUTS}, ${created.errors} errors`,
      );
      const payoutIds = payoutRows.map((r) => r.id);
      if (!(await waitReceived(db, payoutIds, 'payout')))
        throw new Error('signsrv did not receive every payout withdrawal: nothing to approve');
      log.info(
        { payouts: payoutIds.length, approveConcurrency: APPROVE_CONCURRENCY, mineMs: MINE_MS },
        'payout: approving through signsrv',
      );
      const systemCpu = startCpuMeter(clusterPids);
      const measuredSystem = await measureSystemPayouts({
        ids: payoutIds,
        signsrvUrl: cluster.signsrvUrl,
        auditorToken: cluster.signer.auditorToken,
        db,
        mineBlock: () => provider.send('anvil_mine', ['0x1']),
        concurrency: APPROVE_CONCURRENCY,
        mineEveryMs: MINE_MS,
        timeoutMs: CONFIRM_TIMEOUT_MS,
        log,
      });
      const system = { ...measuredSystem, cpuSeconds: systemCpu() };
      for (const sample of system.approvals.errorSamples) say(`  approve error: ${sample}`);
      check(
        'payout',
        'every approval answered 200 approved',
        system.approvals.errors === 0 && system.approvals.requests === PAYOUTS,
        `${system.approvals.requests - system.approvals.errors} of ${PAYOUTS}; statuses ${JSON.stringify(system.approvals.statuses)}`,
      );
      check('payout', 'every withdrawal confirmed', (system.statuses['confirmed'] ?? 0) === PAYOUTS, JSON.stringify(system.statuses));
      const paid = await inBatches(payoutRows, 32, async (r) => (await provider.getBalance(r.to_address)) === BigInt(r.amount));
      check('payout', 'every destination paid exactly the amount', paid.every(Boolean), `${paid.filter(Boolean).length} of ${PAYOUTS}`);
      payout = { system, observations: { ...(await clusterObservations(db, payoutIds)), relayResends: relayResends(cluster) } };
    }
    const clusterLog = logProblems(cluster);
    const invariantsAfterCluster = await fixtures.invariants();
    check(
      SELECTED.has('payout') ? 'payout' : 'accept',
      'ledger invariants after the cluster run',
      invariantsAfterCluster.length === 0,
      invariantsAfterCluster.join('; ') || '[]',
    );
    log.info('stopping the cluster (the database is kept for the baselines)');
    await world.stop();
    world = undefined;

    // ------------------------------------------------------------------ 1. accept, baseline
    let acceptBaseline: Awaited<ReturnType<typeof acceptRun>> | undefined;
    if (SELECTED.has('accept')) {
      log.info('accept: baseline, bare fastify + createWithdrawal in one process, no auth, no gRPC, no relay');
      baseline = spawn(process.execPath, [join(repoRoot, 'test', 'dist', 'bench', 'withdrawalBaselineServer.js')], {
        env: { ...process.env, MYSQL_URL: mysqlUrl(database), WALLET_ASSETS: walletAssets ?? '', BENCH_CLIENT_ID: clientId },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const baselineUrl = await urlOf(baseline);
      acceptBaseline = await acceptRun('baseline', baselineUrl, { ...sharedPids, baseline: baseline.pid! });
      baseline.kill('SIGTERM');
      await new Promise((r) => baseline!.once('exit', r));
      baseline = undefined;
      checkExactlyOnce(
        'baseline',
        acceptBaseline.keys,
        await rowsByKey(db, clientId, acceptBaseline.keys),
        acceptBaseline.result,
        acceptBaseline.warmup,
      );
    }

    // ------------------------------------------------------------------ 2. payout, raw chain
    let raw: (RawChainPayouts & CpuSeconds) | undefined;
    if (SELECTED.has('payout')) {
      log.info({ transfers: PAYOUTS, concurrency: APPROVE_CONCURRENCY, mineMs: MINE_MS }, 'payout: baseline, the chain alone');
      const rawCpu = startCpuMeter(sharedPids);
      const measuredRaw = await measureRawChainPayouts({
        provider,
        rpcUrl: ANVIL_RPC_URL,
        chainId: ANVIL_CHAIN_ID,
        count: PAYOUTS,
        concurrency: APPROVE_CONCURRENCY,
        amount,
        confirmations: eth.confirmations,
        mineEveryMs: MINE_MS,
        timeoutMs: CONFIRM_TIMEOUT_MS,
        log,
      });
      raw = { ...measuredRaw, cpuSeconds: rawCpu() };
      for (const sample of raw.sends.errorSamples) say(`  send error: ${sample}`);
      check(
        'payout',
        'raw chain: every transfer sent, mined with status 1 and paid',
        raw.sends.errors === 0 && raw.succeeded === PAYOUTS && raw.paid === PAYOUTS && raw.allConfirmedSeconds !== null,
        `${raw.succeeded} succeeded, ${raw.paid} paid of ${PAYOUTS}, ${raw.sends.errors} send errors`,
      );
    }

    // ------------------------------------------------------------------ the whole database, both baselines included
    const expectedRows = (acceptCluster?.keys.length ?? 0) + (payout === undefined ? 0 : PAYOUTS) + (acceptBaseline?.keys.length ?? 0);
    const [[total]] = (await db.raw('SELECT COUNT(*) AS n FROM withdrawals')) as [[{ n: number | string }]];
    check(tag, 'no withdrawal beyond the requests sent', Number(total.n) === expectedRows, `${total.n} rows, ${expectedRows} requests`);
    const invariantsAfterAll = await fixtures.invariants();
    check(tag, 'ledger invariants after every run', invariantsAfterAll.length === 0, invariantsAfterAll.join('; ') || '[]');

    report({
      ...(acceptCluster === undefined || acceptBaseline === undefined
        ? {}
        : { accept: { cluster: acceptCluster.result, baseline: acceptBaseline.result, relayDrainSeconds } }),
      ...(payout === undefined || raw === undefined ? {} : { payout: { ...payout, raw } }),
      nodes,
      clusterLog,
      invariantsHold: invariantsAfterCluster.length === 0 && invariantsAfterAll.length === 0,
      confirmations: eth.confirmations,
      clusterEnv: cluster.env,
      loadAverageAtStart,
    });
  } finally {
    if (baseline !== undefined && baseline.exitCode === null) baseline.kill('SIGTERM');
    await world?.stop();
    await fixtures?.close();
    if (database !== undefined) await dropDatabase(mysqlUrl(database));
    provider.destroy();
  }
}

type LtcScenario = 'payout-ltc-unbatched' | 'payout-ltc-batched';

/**
 * One Litecoin payout scenario in a cluster of its own on the stack litecoind (fresh database, signsrv with the
 * scenario's payout policy): the wallet funded by credited deposits, PAYOUTS_LTC withdrawals created and received by
 * signsrv, then approved and timed until confirmed; then, with the cluster stopped, the node's own baseline.
 */
async function ltcPayoutScenario(scenario: LtcScenario): Promise<void> {
  const batched = scenario === 'payout-ltc-batched';
  const node = new Litecoind();
  let world: UtxoWithdrawalWorld | undefined;
  try {
    log.info(
      { scenario, payouts: PAYOUTS_LTC, batch: batched ? LTC_BATCH : 'none' },
      `${scenario}: starting a cluster on the stack litecoind`,
    );
    world = await UtxoWithdrawalWorld.start({
      extraEnv: {
        TRANSRV_RESEND_AFTER_MS: '10000',
        SIGNSRV_RESEND_AFTER_MS: '10000',
        ...(batched ? { SIGNSRV_UTXO_PAYOUTS: JSON.stringify({ ltc: LTC_BATCH }) } : {}),
      },
    });
    const { cluster } = world;
    const db = world.fixtures.db;
    const loadAverageAtStart = loadavg()[0] ?? 0;
    const sharedPids = pidsNamed(['mariadbd', 'mysqld', 'litecoind', 'redis-server']);
    const clusterPids = { ...sharedPids, ...Object.fromEntries([...cluster.processes].map(([label, p]) => [label, p.child.pid!])) };
    const ltc = cluster.registry.asset('LTC');
    const network = cluster.registry.chain('ltc').network;
    const destination = () => randomUtxoAddress('ltc', network);

    // ---------------------------------------------------------------- funding, not timed
    const funder = await world.openAccount();
    const outputs = PAYOUTS_LTC + LTC_SPARE_OUTPUTS;
    log.info({ scenario, outputs }, `${scenario}: funding the wallet with credited deposits of 1 LTC each (not timed)`);
    const fundingTxid = await world.deposit(funder, ...Array<string>(outputs).fill('1'));
    const [[spendable]] = (await db.raw(
      "SELECT COUNT(*) AS n FROM utxos WHERE chain = 'ltc' AND spent_by_txid IS NULL AND locked_by IS NULL AND amount >= 100000000",
    )) as [[{ n: number | string }]];
    check(
      scenario,
      'the wallet holds an output of 1 LTC per withdrawal',
      Number(spendable.n) >= PAYOUTS_LTC,
      `${spendable.n} unspent, unlocked`,
    );
    const owner = await db('accounts').where({ id: funder }).first<{ client_id: string }>('client_id');

    // ---------------------------------------------------------------- the withdrawals, created and received
    const keys: string[] = [];
    const created = await runRequests(
      cluster.gatewayUrl,
      CONCURRENCY,
      PAYOUTS_LTC,
      () => signedWithdrawal(world!.api.credentials, funder, { asset: 'LTC', to: destination(), amount: LTC_AMOUNT.toString() }, keys),
      { ok: accepted },
    );
    const rows = await rowsByKey(db, owner.client_id, keys);
    check(
      scenario,
      'every withdrawal created once',
      created.errors === 0 && rows.length === PAYOUTS_LTC && new Set(rows.map((r) => r.idempotency_key)).size === PAYOUTS_LTC,
      `${rows.length} rows of ${PAYOUTS_LTC}, ${created.errors} errors ${JSON.stringify(created.errorSamples.slice(0, 2))}`,
    );
    const ids = rows.map((r) => r.id);
    if (!(await waitReceived(db, ids, scenario)))
      throw new Error(`${scenario}: signsrv did not receive every withdrawal: nothing to approve`);

    // ---------------------------------------------------------------- timed: approved to confirmed
    log.info(
      { scenario, payouts: ids.length, approveConcurrency: APPROVE_CONCURRENCY, mineMs: MINE_MS },
      `${scenario}: approving through signsrv`,
    );
    const systemCpu = startCpuMeter(clusterPids);
    const measured = await measureSystemPayouts({
      ids,
      signsrvUrl: cluster.signsrvUrl,
      auditorToken: cluster.signer.auditorToken,
      db,
      mineBlock: () => node.mineFiller(1),
      concurrency: APPROVE_CONCURRENCY,
      mineEveryMs: MINE_MS,
      timeoutMs: CONFIRM_TIMEOUT_MS,
      log,
    });
    const system = { ...measured, cpuSeconds: systemCpu() };
    for (const sample of system.approvals.errorSamples) say(`  approve error: ${sample}`);
    check(
      scenario,
      'every approval answered 200 approved',
      system.approvals.errors === 0 && system.approvals.requests === PAYOUTS_LTC,
      `${system.approvals.requests - system.approvals.errors} of ${PAYOUTS_LTC}; statuses ${JSON.stringify(system.approvals.statuses)}`,
    );
    check(scenario, 'every withdrawal confirmed', (system.statuses['confirmed'] ?? 0) === PAYOUTS_LTC, JSON.stringify(system.statuses));

    // ---------------------------------------------------------------- did the system do the work?
    const paid = await db('withdrawals')
      .whereIn('id', ids)
      .select<{ id: string; to_address: string; amount: string; txid: string | null; output_index: number | null }[]>(
        'id',
        'to_address',
        'amount',
        'txid',
        'output_index',
      );
    const txids = new Set(paid.map((r) => r.txid).filter((t) => t !== null));
    const outpoints = new Set(paid.filter((r) => r.txid !== null && r.output_index !== null).map((r) => `${r.txid}:${r.output_index}`));
    let exact = 0;
    const byTx = new Map<string, typeof paid>();
    for (const r of paid) if (r.txid !== null && r.output_index !== null) byTx.set(r.txid, [...(byTx.get(r.txid) ?? []), r]);
    for (const [txid, members] of byTx) {
      const tx = await world.transaction(txid);
      for (const r of members) {
        const out = tx.outs[r.output_index!];
        const script = Buffer.from(btcAddress.toOutputScript(r.to_address, utxoNetwork('ltc', network))).toString('hex');
        if (out !== undefined && out.value === BigInt(r.amount) && Buffer.from(out.script).toString('hex') === script) exact++;
      }
    }
    check(
      scenario,
      'each withdrawal its own output (txid, vout) paying exactly its amount to its destination',
      outpoints.size === PAYOUTS_LTC && exact === PAYOUTS_LTC,
      `${outpoints.size} distinct outputs, ${exact} exact, of ${PAYOUTS_LTC}`,
    );
    const minedCounts = await inBatches(ids, 8, (id) => world!.minedTxCount(id));
    check(
      scenario,
      'each withdrawal paid by exactly one mined transaction',
      minedCounts.every((n) => n === 1),
      `mined transactions per withdrawal (count: withdrawals): ${JSON.stringify(tally(minedCounts))}`,
    );
    check(
      scenario,
      batched ? 'batched: fewer transactions than withdrawals' : 'unbatched: one transaction per withdrawal',
      batched ? txids.size < PAYOUTS_LTC : txids.size === PAYOUTS_LTC,
      `${txids.size} distinct txids for ${PAYOUTS_LTC} withdrawals`,
    );
    const signedTxids = await db('withdrawal_txs').whereIn('withdrawal_id', ids).distinct().pluck<string[]>('txid');
    const [feeRow] = await db('withdrawal_txs')
      .whereIn('withdrawal_id', ids)
      .where({ attempt: 0 })
      .select<{ lo: number | null; hi: number | null }[]>(db.raw('MIN(fee_rate) AS lo'), db.raw('MAX(fee_rate) AS hi'));
    const clusterLog = logProblems(cluster);
    const observations = { ...(await clusterObservations(db, ids)), relayResends: relayResends(cluster) };
    const invariants = await world.fixtures.invariants();
    check(scenario, 'ledger invariants after the cluster run', invariants.length === 0, invariants.join('; ') || '[]');
    const lockProblems = await world.lockProblems();
    check(scenario, 'no input lock left wrong', lockProblems.length === 0, lockProblems.slice(0, 5).join('; ') || '[]');
    log.info({ scenario }, `${scenario}: stopping the cluster`);
    await world.stop();
    world = undefined;

    // ---------------------------------------------------------------- baseline: the node alone
    const feeRate = BigInt(feeRow?.hi ?? 10);
    log.info({ scenario, payouts: PAYOUTS_LTC, feeRate }, `${scenario}: baseline, preparing pre-signed payouts (not timed)`);
    const prepared = await prepareRawUtxoPayouts({
      node,
      destinations: Array.from({ length: PAYOUTS_LTC }, destination),
      changeAddresses: Array.from({ length: PAYOUTS_LTC }, destination),
      amount: LTC_AMOUNT,
      feeRate,
      log,
    });
    const rawCpu = startCpuMeter(sharedPids);
    const measuredRaw = await measureRawUtxoPayouts({
      node,
      prepared,
      concurrency: APPROVE_CONCURRENCY,
      confirmations: ltc.confirmations,
      mineEveryMs: MINE_MS,
      timeoutMs: CONFIRM_TIMEOUT_MS,
      log,
    });
    const raw = { ...measuredRaw, cpuSeconds: rawCpu() };
    for (const sample of raw.sends.errorSamples) say(`  send error: ${sample}`);
    check(
      scenario,
      'raw node: every payout sent, mined and confirmed',
      raw.sends.errors === 0 && raw.mined === PAYOUTS_LTC && raw.allConfirmedSeconds !== null,
      `${raw.mined} mined of ${PAYOUTS_LTC}, ${raw.sends.errors} send errors`,
    );

    reportLtc(scenario, {
      system,
      raw,
      txids: txids.size,
      signedTxids: signedTxids.length,
      feeRate: { min: feeRow?.lo ?? null, max: feeRow?.hi ?? null },
      fundingTxid,
      rawFundingTxid: prepared.fundingTxid,
      confirmations: ltc.confirmations,
      clusterLog,
      observations,
      invariantsHold: invariants.length === 0,
      clusterEnv: cluster.env,
      loadAverageAtStart,
    });
  } finally {
    await world?.stop();
  }
}

// ------------------------------------------------------------------ figures

type CpuSeconds = { cpuSeconds: Record<string, number> };
type Observations = Awaited<ReturnType<typeof clusterObservations>> & { relayResends: Record<string, number> };
type Figures = {
  accept?: {
    cluster: CountedLoadResult & CpuSeconds;
    baseline: CountedLoadResult & CpuSeconds;
    relayDrainSeconds: number | null;
  };
  payout?: { system: SystemPayouts & CpuSeconds; raw: RawChainPayouts & CpuSeconds; observations: Observations };
  nodes: Record<string, number>;
  clusterLog: LogProblem[];
  invariantsHold: boolean;
  confirmations: number;
  clusterEnv: string;
  loadAverageAtStart: number;
};

// Functions, not consts: the scenarios run at the top of the module, before a const below would be initialised.
function fixed(v: number | null, digits = 2): string {
  return v === null ? 'n/a' : v.toFixed(digits);
}
function held(scenario: Scenario): boolean {
  return checks.filter((c) => c.scenario === scenario).every((c) => c.ok);
}
function checksOf(scenario: Scenario): Check[] {
  return checks.filter((c) => c.scenario === scenario);
}

/** What every JSON line starts with. */
function commonFields(loadAverageAtStart: number) {
  return {
    bench: 'withdrawals',
    at: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    loadAverageAtStart,
  };
}

function sayMachine(loadAverageAtStart: number): void {
  say('');
  say(
    `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, load average ${loadAverageAtStart.toFixed(2)} at start`,
  );
}

function sayChecks(scenarios: readonly Scenario[]): void {
  say('checks:');
  for (const c of checks.filter((x) => scenarios.includes(x.scenario)))
    say(`   ${c.ok ? 'holds ' : 'FAILED'}  [${c.scenario}] ${c.name}: ${c.detail}`);
}

function sayClusterLog(clusterEnv: string, clusterLog: readonly LogProblem[]): void {
  say(`cluster log lines at warn or above, and stderr (.stack/logs/test/${clusterEnv}-*.log): ${clusterLog.length === 0 ? 'none' : ''}`);
  for (const p of clusterLog)
    say(`   ${p.process} ${p.level} x${p.count}: ${p.level === 'stderr' ? p.msg : `${p.msg}  e.g. ${p.example}`}`);
}

function appendLines(lines: readonly object[]): void {
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  appendFileSync(join(repoRoot, 'bench', 'results', 'withdrawals.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  say('figures appended to bench/results/withdrawals.jsonl');
}

function report(f: Figures): void {
  const scenarios = [...(f.accept ? (['accept'] as const) : []), ...(f.payout ? (['payout'] as const) : [])];
  sayMachine(f.loadAverageAtStart);
  const lines: object[] = [];
  const common = commonFields(f.loadAverageAtStart);
  if (f.accept) {
    const { cluster, baseline, relayDrainSeconds } = f.accept;
    const acceptRatio = cluster.rps / baseline.rps;
    say(
      `1. accept: ${REQUESTS} withdrawals (+${WARMUP} warm-up) at concurrency ${CONCURRENCY} over ${ACCOUNTS} accounts ${JSON.stringify(f.nodes)}`,
    );
    const acceptRow = (name: string, r: CountedLoadResult) =>
      say(
        `   ${name.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(1).padStart(7)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms  errors ${r.errors}`,
      );
    acceptRow('cluster', cluster);
    acceptRow('baseline', baseline);
    say(`   cluster/baseline throughput ${acceptRatio.toFixed(2)}`);
    say(`   signsrv had every accepted withdrawal ${fixed(relayDrainSeconds)} s after the last 201`);
    lines.push({
      ...common,
      scenario: 'accept',
      requests: REQUESTS,
      warmup: WARMUP,
      concurrency: CONCURRENCY,
      accounts: ACCOUNTS,
      nodes: f.nodes,
      cluster: { ...cluster, signsrvReceivedAllSeconds: relayDrainSeconds },
      baseline,
      ratio: { rps: acceptRatio },
      checks: checksOf('accept'),
      valid: held('accept'),
      invariantsHold: f.invariantsHold,
      clusterEnv: f.clusterEnv,
      clusterLog: f.clusterLog,
      ...(f.payout ? { relayResends: f.payout.observations.relayResends } : {}),
    });
  }
  if (f.payout) {
    const { system, raw, observations } = f.payout;
    const approvalsPerSecond = system.approvals.rps;
    const sendsPerSecond = raw.sends.rps;
    const confirmedRatio =
      system.confirmedPerSecond !== null && raw.confirmedPerSecond !== null ? system.confirmedPerSecond / raw.confirmedPerSecond : null;
    say(
      `2. payout: ${PAYOUTS} ETH withdrawals, ${APPROVE_CONCURRENCY} at a time, a block every ${MINE_MS} ms, ${f.confirmations} confirmations`,
    );
    say(
      `   system     approvals ${approvalsPerSecond.toFixed(1).padStart(6)}/s (p50 ${system.approvals.p50Ms.toFixed(1)} ms, p99 ${system.approvals.p99Ms.toFixed(1)} ms)  first confirmed ${fixed(system.firstConfirmedSeconds)} s  all confirmed ${fixed(system.allConfirmedSeconds)} s  ${fixed(system.confirmedPerSecond, 1)} confirmed/s`,
    );
    say(
      `   raw chain  sends     ${sendsPerSecond.toFixed(1).padStart(6)}/s (p50 ${raw.sends.p50Ms.toFixed(1)} ms, p99 ${raw.sends.p99Ms.toFixed(1)} ms)  first confirmed ${fixed(raw.firstConfirmedSeconds)} s  all confirmed ${fixed(raw.allConfirmedSeconds)} s  ${fixed(raw.confirmedPerSecond, 1)} confirmed/s`,
    );
    say(
      `   system/raw chain: confirmed/s ${fixed(confirmedRatio)}, approvals/s vs sends/s ${(approvalsPerSecond / sendsPerSecond).toFixed(2)}`,
    );
    say(
      `   approve-to-confirmed per withdrawal: p50 ${fixed(system.approveToConfirmed.p50Ms, 0)} ms, p95 ${fixed(system.approveToConfirmed.p95Ms, 0)} ms`,
    );
    say(`   CPU s, system: ${JSON.stringify(system.cpuSeconds)}`);
    say(`   CPU s, raw chain: ${JSON.stringify(raw.cpuSeconds)}`);
    say(
      `   audit trail of the ${PAYOUTS} payouts (events by status reached): ${JSON.stringify(observations.payoutTrail)}; a status transrv learnt only after the chain had confirmed the withdrawal is skipped`,
    );
    lines.push({
      ...common,
      scenario: 'payout',
      payouts: PAYOUTS,
      concurrency: APPROVE_CONCURRENCY,
      mineEveryMs: MINE_MS,
      confirmations: f.confirmations,
      system,
      rawChain: raw,
      ratio: { confirmedPerSecond: confirmedRatio, approvalsVsSends: approvalsPerSecond / sendsPerSecond },
      checks: checksOf('payout'),
      valid: held('payout'),
      invariantsHold: f.invariantsHold,
      clusterEnv: f.clusterEnv,
      clusterLog: f.clusterLog,
      observations,
    });
    say(
      `signsrv alerts: ${JSON.stringify(observations.signAlerts)}; outbox rows not acknowledged: ${observations.unackedOutbox}; relay re-sends: ${JSON.stringify(observations.relayResends)}`,
    );
  }
  sayChecks(scenarios);
  sayClusterLog(f.clusterEnv, f.clusterLog);
  appendLines(lines);
}

type LtcFigures = {
  system: SystemPayouts & CpuSeconds;
  raw: RawUtxoPayouts & CpuSeconds;
  /** Distinct transactions that paid the withdrawals (confirmed), and every one signsrv signed for them (bumps too). */
  txids: number;
  signedTxids: number;
  /** sat/vB of the first attempts: the baseline pays the highest. */
  feeRate: { min: number | null; max: number | null };
  fundingTxid: string;
  rawFundingTxid: string;
  confirmations: number;
  clusterLog: LogProblem[];
  observations: Observations;
  invariantsHold: boolean;
  clusterEnv: string;
  loadAverageAtStart: number;
};

function reportLtc(scenario: LtcScenario, f: LtcFigures): void {
  const { system, raw } = f;
  const confirmedRatio =
    system.confirmedPerSecond !== null && raw.confirmedPerSecond !== null ? system.confirmedPerSecond / raw.confirmedPerSecond : null;
  const latency = (p: { p50Ms: number | null; p95Ms: number | null }) => `p50 ${fixed(p.p50Ms, 0)} ms, p95 ${fixed(p.p95Ms, 0)} ms`;
  sayMachine(f.loadAverageAtStart);
  say(
    `${scenario}: ${PAYOUTS_LTC} LTC withdrawals, ${APPROVE_CONCURRENCY} at a time, a block every ${MINE_MS} ms, ${f.confirmations} confirmations, batching ${batchPolicy(scenario)}`,
  );
  say(
    `   system    ${fixed(system.confirmedPerSecond, 1).padStart(6)} confirmed/s  all confirmed ${fixed(system.allConfirmedSeconds)} s  approve-to-confirmed ${latency(system.approveToConfirmed)}  approvals ${system.approvals.rps.toFixed(1)}/s (p50 ${system.approvals.p50Ms.toFixed(1)} ms)  ${f.txids} txids (${f.signedTxids} signed)  ${f.feeRate.min}-${f.feeRate.max} sat/vB`,
  );
  say(
    `   raw node  ${fixed(raw.confirmedPerSecond, 1).padStart(6)} confirmed/s  all confirmed ${fixed(raw.allConfirmedSeconds)} s  send-to-confirmed ${latency(raw.sendToConfirmed)}  sends ${raw.sends.rps.toFixed(1)}/s (p50 ${raw.sends.p50Ms.toFixed(1)} ms, ${raw.sends.retries} re-sent: work queue full)  ${PAYOUTS_LTC} txids`,
  );
  say(`   system/raw node: confirmed/s ${fixed(confirmedRatio)}`);
  say(`   CPU s, system: ${JSON.stringify(system.cpuSeconds)}`);
  say(`   CPU s, raw node: ${JSON.stringify(raw.cpuSeconds)}`);
  say(
    `   audit trail (events by status reached): ${JSON.stringify(f.observations.payoutTrail)}; signsrv alerts: ${JSON.stringify(f.observations.signAlerts)}; outbox rows not acknowledged: ${f.observations.unackedOutbox}`,
  );
  sayChecks([scenario]);
  sayClusterLog(f.clusterEnv, f.clusterLog);
  appendLines([
    {
      ...commonFields(f.loadAverageAtStart),
      scenario,
      payouts: PAYOUTS_LTC,
      amount: LTC_AMOUNT.toString(),
      concurrency: APPROVE_CONCURRENCY,
      mineEveryMs: MINE_MS,
      confirmations: f.confirmations,
      batch: scenario === 'payout-ltc-batched' ? LTC_BATCH : null,
      system: { ...system, txids: f.txids, signedTxids: f.signedTxids, feeRate: f.feeRate, fundingTxid: f.fundingTxid },
      rawNode: { ...raw, feeRate: f.feeRate.max, fundingTxid: f.rawFundingTxid },
      ratio: { confirmedPerSecond: confirmedRatio },
      checks: checksOf(scenario),
      valid: held(scenario),
      invariantsHold: f.invariantsHold,
      clusterEnv: f.clusterEnv,
      clusterLog: f.clusterLog,
      observations: f.observations,
    },
  ]);
}

function batchPolicy(scenario: LtcScenario): string {
  return scenario === 'payout-ltc-batched' ? JSON.stringify(LTC_BATCH) : 'none (one withdrawal per transaction)';
}

// ------------------------------------------------------------------ helpers

/** A positive integer from `--name=value` or BENCH_<NAME>, else `fallback`. */
function setting(name: string, fallback: number, min = 1): number {
  const variable = `BENCH_${name.toUpperCase().replaceAll('-', '_')}`;
  const flag = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  const raw = flag === undefined ? process.env[variable] : flag.slice(name.length + 3);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name} / ${variable}: expected an integer >= ${min}, got "${raw}"`);
  return value;
}

/** A signed withdrawal request of `accountId` with a fresh Idempotency-Key (recorded in `keys`). */
function signedWithdrawal(
  credentials: Credentials,
  accountId: string,
  withdrawal: { asset: string; to: string; amount: string },
  keys: string[],
): RequestSpec {
  const path = `/v1/accounts/${accountId}/withdrawals`;
  const body = JSON.stringify(withdrawal);
  const key = randomUUID();
  keys.push(key);
  const signed = signRequest({ keyId: credentials.keyId, secret: credentials.secret, method: 'POST', pathWithQuery: path, body });
  return { method: 'POST', path, body, headers: { ...signed, 'content-type': 'application/json', 'idempotency-key': key } };
}

/** A withdrawal request's expected answer: 201, pending_review. */
function accepted(status: number, body: string): boolean {
  return status === 201 && jsonField(body, 'status') === 'pending_review';
}

/** How many times each value occurs. */
function tally(values: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** `--scenarios=a,b` or BENCH_SCENARIOS, else every scenario. */
function scenariosSetting(): ReadonlySet<Scenario> {
  const flag = process.argv.slice(2).find((a) => a.startsWith('--scenarios='));
  const raw = flag === undefined ? process.env['BENCH_SCENARIOS'] : flag.slice('--scenarios='.length);
  if (raw === undefined || raw.trim() === '') return new Set(SCENARIOS);
  const names = raw.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0)
    throw new Error(`--scenarios / BENCH_SCENARIOS: unknown ${JSON.stringify(unknown)}; expected some of ${SCENARIOS.join(',')}`);
  return new Set(names as Scenario[]);
}

function jsonField(body: string, field: string): unknown {
  try {
    return (JSON.parse(body) as Record<string, unknown>)[field];
  } catch {
    return undefined;
  }
}

type WithdrawalKeyRow = { id: string; idempotency_key: string; status: string; to_address: string; amount: string };

/** The client's withdrawals stored under `keys`. */
async function rowsByKey(db: Db, clientId: string, keys: readonly string[]): Promise<WithdrawalKeyRow[]> {
  const rows: WithdrawalKeyRow[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    rows.push(
      ...(await db('withdrawals')
        .where({ client_id: clientId })
        .whereIn('idempotency_key', keys.slice(i, i + 1000))
        .select<WithdrawalKeyRow[]>('id', 'idempotency_key', 'status', 'to_address', 'amount')),
    );
  }
  return rows;
}

/** Every request of a run (warm-up included) stored exactly once, in pending_review, and every answer a 201. */
function checkExactlyOnce(
  target: 'cluster' | 'baseline',
  keys: readonly string[],
  rows: readonly WithdrawalKeyRow[],
  result: CountedLoadResult,
  warmup: CountedLoadResult | undefined,
): void {
  const distinct = new Set(rows.map((r) => r.idempotency_key)).size;
  const pending = rows.filter((r) => r.status === 'pending_review').length;
  check(
    'accept',
    `${target}: every request answered 201 pending_review`,
    result.errors === 0 && result.requests === REQUESTS && (warmup?.errors ?? 0) === 0,
    `${result.requests - result.errors} of ${REQUESTS} measured, warm-up errors ${warmup?.errors ?? 0}; statuses ${JSON.stringify(result.statuses)}`,
  );
  check(
    'accept',
    `${target}: every withdrawal stored exactly once, pending_review`,
    rows.length === keys.length && distinct === keys.length && pending === keys.length,
    `${rows.length} rows, ${distinct} distinct keys, ${pending} pending_review, of ${keys.length} requests`,
  );
}

/** Waits until signsrv's review queue (sign_requests) holds every one of `ids`. @returns false on timeout */
async function waitReceived(db: Db, ids: readonly string[], scenario: string): Promise<boolean> {
  const started = performance.now();
  let lastLog = 0;
  for (;;) {
    let received = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const [row] = await db('sign_requests')
        .whereIn('withdrawal_id', ids.slice(i, i + 1000))
        .count<{ n: number | string }[]>({ n: '*' });
      received += Number(row?.n ?? 0);
    }
    if (received === ids.length) return true;
    const seconds = (performance.now() - started) / 1000;
    if (seconds * 1000 > RECEIVE_TIMEOUT_MS) {
      log.error({ scenario, received, of: ids.length }, 'signsrv did not receive every withdrawal in time');
      return false;
    }
    if (seconds - lastLog >= 2) {
      lastLog = seconds;
      log.info({ scenario, received, of: ids.length }, 'waiting for signsrv to receive the withdrawals');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

type LogProblem = { process: string; level: string; msg: string; count: number; example: string };

/** Every log line at warn or above (and stderr output) of the cluster's processes, counted by message. */
function logProblems(cluster: Cluster): LogProblem[] {
  const found = new Map<string, LogProblem>();
  const note = (process: string, level: string, msg: string, example: string) => {
    const key = `${process}\0${level}\0${msg}`;
    const seen = found.get(key);
    if (seen) seen.count++;
    else found.set(key, { process, level, msg, count: 1, example: example.slice(0, 400) });
  };
  for (const p of cluster.processes.values()) {
    for (const line of p.lines) if (line.level >= 40) note(p.label, line.level >= 50 ? 'error' : 'warn', line.msg, JSON.stringify(line));
    // Node's warnings name the process id; without it the same warning of two processes counts as one.
    for (const text of p.stderr) {
      if (text.trim() === '' || text.startsWith('(Use `node --trace-warnings')) continue;
      note(p.label, 'stderr', text.replace(/^\(node:\d+\) /, '').slice(0, 160), text);
    }
  }
  return [...found.values()];
}

/**
 * Entries the outbox relays sent again because the other side had not applied them within the re-send interval, per
 * process and stream (from their logs): each is extra work for a receiver that was already behind.
 */
function relayResends(cluster: Cluster): Record<string, number> {
  const resends: Record<string, number> = {};
  for (const [label, p] of cluster.processes) {
    for (const line of p.lines) {
      const stream = /^(blockout_\w+): re-sent/.exec(line.msg)?.[1];
      if (stream !== undefined) resends[`${label} ${stream}`] = (resends[`${label} ${stream}`] ?? 0) + Number(line['resent'] ?? 0);
    }
  }
  return resends;
}

/**
 * What the cluster left to look at: the alerts by kind (signsrv's and transrv's), request outbox rows signsrv never acknowledged, and the
 * payouts' audit trail (how many reached each status; one that learnt of a status only after a later one skips it).
 */
async function clusterObservations(
  db: Db,
  payoutIds: readonly string[],
): Promise<{ signAlerts: Record<string, number>; unackedOutbox: number; payoutTrail: Record<string, number> }> {
  // both services' alarm tables (signsrv's sign_alerts, transrv's node_alerts)
  const [alerts] = (await db.raw(
    'SELECT kind, COUNT(*) AS n FROM (SELECT kind FROM sign_alerts UNION ALL SELECT kind FROM node_alerts) a GROUP BY kind',
  )) as [{ kind: string; n: number | string }[]];
  const [unacked] = await db('withdrawal_outbox').whereNull('acked_at').count<{ n: number | string }[]>({ n: '*' });
  const trail: Record<string, number> = {};
  for (let i = 0; i < payoutIds.length; i += 1000) {
    const rows = await db('withdrawal_events')
      .whereIn('withdrawal_id', payoutIds.slice(i, i + 1000))
      .groupBy('to_status')
      .select<{ to_status: string; n: number | string }[]>('to_status', db.raw('COUNT(*) AS n'));
    for (const r of rows) trail[r.to_status] = (trail[r.to_status] ?? 0) + Number(r.n);
  }
  return {
    signAlerts: Object.fromEntries(alerts.map((a) => [a.kind, Number(a.n)])),
    unackedOutbox: Number(unacked?.n ?? 0),
    payoutTrail: trail,
  };
}

/** The baseline server's URL, from its first line of output. */
function urlOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the baseline server exited with ${String(code)} before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
}
