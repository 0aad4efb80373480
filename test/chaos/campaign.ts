import { ChainGate } from './ChainGate.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { JsonRpcProvider, parseEther } from 'ethers';
import { ApiClient } from '../harness/ApiClient.js';
import { walletctl } from '../harness/clients.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';
import { FaultInjector, type Injected } from './Faults.js';
import {
  type Check,
  alarmsCheck,
  continuousCheck,
  continuousChecks,
  depositsCheck,
  idempotencyCheck,
  ledgerCheck,
  withdrawalsCheck,
} from './invariants.js';
import { PrivateStack } from './PrivateStack.js';
import { SecondHost } from './SecondHost.js';
import { Rng } from './rng.js';
import { type Fault, describeFault, faultSchedule } from './schedule.js';
import { type Books, UtxoChain, UtxoWorkload, ltcBooksCheck, ltcDepositsCheck, ltcWithdrawalsCheck } from './utxo.js';
import { Workload } from './Workload.js';

export type CampaignOptions = {
  readonly seed: number;
  /** How long faults are injected under load (the settling and the checks come after). */
  readonly minutes: number;
  /** Progress lines (the CLI prints them). */
  readonly onLine?: (line: string) => void;
  /** Where the report is written as JSON. */
  readonly reportFile?: string;
};

export type CampaignReport = {
  readonly seed: number;
  readonly minutes: number;
  readonly schedule: readonly string[];
  readonly injected: readonly Injected[];
  readonly operations: Readonly<Record<string, number>>;
  readonly checks: readonly Check[];
  readonly ok: boolean;
  readonly firstViolation: string | null;
  readonly seconds: number;
};

/** anvil's second dev account: the depositors' wallet (the first deploys the test token). */
const FUNDER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const TTL_SECONDS = 4;
const CONFIRMATIONS = 3;
const HOT_WALLET_START = parseEther('50');
/**
 * Sweeps run as in production (signsrv moves a deposit address's ETH to the hot wallet once it holds this much), often,
 * so that reorgs, a slow node and kills meet them: a deposit address then sends, and its gas counts in the books.
 */
const SWEEPS = { eth: { thresholds: { ETH: '100000000000000000' }, intervalMs: 2000, maxInFlight: 4 } };
/** LTC's confirmations in the cluster's registry (the dev registry's; checked once the cluster is up). */
const LTC_CONFIRMATIONS = 2;
const LTC_HOUSE_START = 500_000_000n;

/**
 * A randomized fault campaign (issue 19): a full cluster (two transrv nodes, accountsrv, signsrv, two gatesrv) on a stack
 * of its own (Redis, etcd, anvil), a workload through the public and auditors' APIs, faults from the seed's schedule
 * injected while it runs, then the cluster left to settle and every invariant checked. The same seed gives the same
 * schedule (and the same choices of operations; their timing is the machine's).
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = Date.now();
  const say = (line: string): void => options.onLine?.(`[chaos ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
  const rng = new Rng(options.seed);
  const durationMs = Math.round(options.minutes * 60_000);
  const schedule = faultSchedule(rng.fork(1), {
    durationMs,
    ttlSeconds: TTL_SECONDS,
    confirmations: CONFIRMATIONS,
    utxoConfirmations: LTC_CONFIRMATIONS,
  });
  say(`seed ${options.seed}: ${schedule.length} faults over ${options.minutes} min`);
  for (const f of schedule) say(`  ${describeFault(f)}`);

  const stack = await PrivateStack.start();
  say(
    `private stack up: redis ${stack.redisUrl}, etcd ${stack.etcdEndpoints}, anvil ${stack.anvil.rpcUrl} (services through ${stack.servicesRpcUrl}), litecoind :${stack.litecoind.rpcPort} (services through :${stack.litecoindProxy.port})`,
  );
  let world: WithdrawalWorld | undefined;
  let injector: FaultInjector | undefined;
  let host: SecondHost | undefined;
  try {
    // transrv t2 runs on a second host (a network namespace) that the `host-cut` fault takes off the network; t1 listens
    // on the pair's host side so that t2 can deliver its credit legs to it.
    host = SecondHost.create();
    const chainRpc = { eth: stack.servicesRpcUrl, ltc: stack.servicesLtcRpcUrl };
    world = await WithdrawalWorld.start({
      chainRpc,
      ttlSeconds: TTL_SECONDS,
      transrvNodes: ['t1'],
      extraEnv: {
        REDIS_URL: stack.redisUrl,
        ETCD_ENDPOINTS: stack.etcdEndpoints,
        TRANSRV_GRPC_ADDR: host.hostListenAddr,
        SIGNSRV_SWEEPS: JSON.stringify(SWEEPS),
      },
    });
    const cluster = world.cluster;
    const secondHost = host;
    const t2Env: Record<string, string> = {
      MYSQL_URL: await secondHost.forward(cluster.mysqlUrlOf('transrv')),
      REDIS_URL: await secondHost.forward(stack.redisUrl),
      ETCD_ENDPOINTS: await secondHost.forward(stack.etcdEndpoints),
      WALLET_CHAIN_RPC: JSON.stringify(await secondHost.forwardAll(chainRpc)),
      TRANSRV_GRPC_ADDR: secondHost.listenAddr,
    };
    const startTransrv = (nodeId: string) =>
      nodeId === 't2' ? cluster.startTransrv('t2', t2Env, { netns: secondHost.name }) : cluster.startTransrv(nodeId);
    await startTransrv('t2');
    say(`cluster up (database ${cluster.database}; transrv t2 on host ${secondHost.name})`);
    const ltcConfirmations = cluster.registry.assets.get('LTC')?.confirmations;
    if (ltcConfirmations !== LTC_CONFIRMATIONS)
      throw new Error(`LTC confirmations are ${ltcConfirmations}, the schedule assumed ${LTC_CONFIRMATIONS}`);
    await waitFor(
      'an ltc scanner leader',
      async () =>
        [...cluster.processes.values()].some((p) => p.lines.some((l) => l.msg === 'scanning as leader' && l['chain'] === 'ltc')) ||
        undefined,
      120_000,
    );
    const provider = new JsonRpcProvider(stack.anvil.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 200 });
    await provider.send('anvil_setBalance', [world.hotWallet, `0x${HOT_WALLET_START.toString(16)}`]);
    // A second gateway: clients reach either (as behind a balancer), and either can be killed or paused.
    const second = await cluster.startGatesrv('gatesrv-2');
    const gateways = [world.api, new ApiClient(second.url, world.api.credentials)];
    // anvil_reorg alone on the node (ChainGate): the harness's sends and mining take the gate shared.
    const evmGate = new ChainGate();
    const workload = new Workload(gateways, world.signsrv, provider, FUNDER_KEY, rng.fork(2), evmGate);
    const db = world.fixtures.db;
    const mine = (n = 1): Promise<unknown> => evmGate.shared(() => provider.send('anvil_mine', [`0x${n.toString(16)}`]));
    const ltc = new UtxoChain(stack.litecoind);
    const ltcWorkload = new UtxoWorkload(workload, ltc, rng.fork(4));

    // Warm-up: accounts with addresses and a first deposit each, credited, then blocks no reorg of the run can reach.
    await workload.openAccounts(8);
    await ltcWorkload.openAddresses();
    for (let i = 0; i < workload.accounts.length; i++) await workload.deposit();
    // Each account's first LTC deposit, 2 LTC: what its LTC withdrawals are paid from (the wallet's UTXOs).
    for (const a of workload.accounts) await ltcWorkload.deposit({ accountId: a.id, sat: 200_000_000n });
    // The wallet's own LTC (as the ETH hot wallet's 50 ETH): paid into its main address, it is nobody's deposit. The
    // miner fees of LTC payouts are above the users' fee at the node's rates; the house pays the difference from it.
    const ltcHot = await waitFor('the LTC hot wallet', async () => {
      const [address] = (await db('hot_wallets').where({ chain: 'ltc' }).pluck('address')) as string[];
      return address;
    });
    await ltc.pay(ltcHot, LTC_HOUSE_START, false);
    await mine(CONFIRMATIONS);
    await ltc.mine(LTC_CONFIRMATIONS);
    await waitFor(
      'warm-up deposits credited',
      async () => {
        const [[r]] = (await db.raw("SELECT COUNT(*) AS n FROM deposits WHERE status = 'credited'")) as [[{ n: number }]];
        return Number(r.n) >= workload.deposits.length + ltcWorkload.deposits.length ? true : undefined;
      },
      60_000,
    );
    await mine(10);
    await ltc.mine(10);
    await waitFor('the ltc scanner at the tip', async () => {
      const [[r]] = (await db.raw("SELECT MAX(number) AS n FROM chain_blocks WHERE chain = 'ltc'")) as [[{ n: number | null }]];
      return Number(r.n) >= (await ltc.height()) ? true : undefined;
    });
    const before = await treasury(world);
    const ltcBefore = await treasury(world, 'LTC');
    const startBlock = await provider.getBlockNumber();
    const ltcStartHeight = await ltc.height();
    say(
      `warm-up done: ${workload.accounts.length} accounts, books: ETH liabilities ${before.liabilities}, holdings ${before.holdings} at block ${startBlock}; LTC liabilities ${ltcBefore.liabilities}, holdings ${ltcBefore.holdings} at height ${ltcStartHeight}`,
    );

    const faults = new FaultInjector(
      cluster,
      stack,
      provider,
      Object.values(cluster.mysqlUsers).map((u) => u.user),
      cluster.serviceEnv['MYSQL_URL']!,
      say,
      rng.fork(3),
      { host, startTransrv },
      ltcWorkload,
      evmGate,
    );
    injector = faults;
    const violationsSeen: string[] = [];
    let samples = 0;
    const t0 = Date.now();
    const until = t0 + durationMs;
    const decisions = new Set<Promise<void>>();
    const running: Promise<unknown>[] = [];
    // Faults, at their times.
    running.push(
      (async () => {
        for (const f of schedule) {
          const wait = t0 + f.at - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await faults.inject(f, Date.now() - t0).catch((error: unknown) => say(`${describeFault(f)} failed: ${String(error)}`));
        }
      })(),
    );
    // Blocks, one a second (anvil also mines one per transaction).
    running.push(
      (async () => {
        while (Date.now() < until) {
          await mine().catch(() => {});
          await new Promise((r) => setTimeout(r, 1000));
        }
      })(),
    );
    // Litecoin blocks, one every 2 s.
    running.push(
      (async () => {
        while (Date.now() < until) {
          await ltc.mine().catch(() => {});
          await new Promise((r) => setTimeout(r, 2000));
        }
      })(),
    );
    // The continuous checks.
    running.push(
      (async () => {
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, 5000));
          const found = await continuousChecks(db).catch(() => [] as string[]);
          samples++;
          for (const v of found.filter((x) => !violationsSeen.includes(x))) {
            violationsSeen.push(v);
            say(`VIOLATION (continuous): ${v}`);
          }
        }
      })(),
    );
    // Three clients' workers.
    for (let w = 0; w < 3; w++) {
      const wrng = rng.fork(10 + w);
      running.push(
        (async () => {
          while (Date.now() < until) {
            const op = wrng.weighted({ deposit: 2, transfer: 5, withdraw: 2, 'ltc-deposit': 1.5, 'ltc-withdraw': 1.5 });
            if (op === 'deposit') await workload.deposit();
            else if (op === 'ltc-deposit') await ltcWorkload.deposit();
            else if (op === 'transfer') await workload.transfer();
            else {
              const rec = op === 'withdraw' ? await workload.withdraw() : await ltcWorkload.withdraw();
              if (rec.outcome === 'accepted' && rec.id) {
                const id = rec.id;
                const d = new Promise((r) => setTimeout(r, wrng.int(0, 3000))).then(() => workload.decide(id));
                decisions.add(d);
                void d.finally(() => decisions.delete(d));
              }
            }
            await new Promise((r) => setTimeout(r, wrng.int(50, 300)));
          }
        })(),
      );
    }
    await Promise.all(running);
    say(`faults over: ${injector.log.filter((i) => i.result === 'done').length} injected; settling`);
    await injector.settle();
    await Promise.all([...decisions]);
    await workload.settleDeposits();
    await ltc.serial(async () => undefined); // the LTC deposits being sent
    // Everything left unknown is retried with its key now that the cluster is whole again.
    for (const p of workload.posts.filter((x) => x.outcome === 'unknown')) await workload.retry(p, 60_000);
    // Withdrawals reach an end (blocks keep coming), deposits their confirmations. One an auditor's decision did not
    // reach (its answer was lost to a fault) is still waiting for review, as it should: it is decided again now.
    const created = workload.posts.filter((p) => p.kind === 'withdrawal' && p.outcome === 'accepted').map((p) => p.id!);
    for (const id of (await db('withdrawals').whereIn('id', created).where({ status: 'pending_review' }).pluck('id')) as string[]) {
      const review = await world.signsrv.review(id).catch(() => undefined);
      if (review?.status === 200 && review.body.decision !== null) continue; // decided; transrv catches up
      say(`${id} still waits for review (signsrv: ${review?.status ?? 'no answer'}): deciding it again`);
      await workload.decide(id);
    }
    await waitFor(
      'every withdrawal at an end',
      async () => {
        await mine();
        await ltc.mine();
        const open = await db('withdrawals')
          .whereIn('id', created)
          .whereNotIn('status', ['confirmed', 'rejected', 'cancelled', 'failed'])
          .count<{ n: number }[]>('* as n');
        return Number(open[0]!.n) === 0 ? true : undefined;
      },
      180_000,
    ).catch(() => say('some withdrawals did not reach an end within 180 s (the check names them)'));
    await mine(CONFIRMATIONS);
    await ltc.mine(LTC_CONFIRMATIONS);
    await waitFor(
      'no deposit pending',
      async () => {
        await mine();
        await ltc.mine();
        const [[r]] = (await db.raw("SELECT COUNT(*) AS n FROM deposits WHERE status IN ('pending', 'reversal_pending')")) as [
          [{ n: number }],
        ];
        return Number(r.n) === 0 ? true : undefined;
      },
      120_000,
    ).catch(() => say('deposits still pending after 120 s (the check names them)'));
    await new Promise((r) => setTimeout(r, 3000));
    // No LTC block is mined from here on: the scanner's record of the wallet's outputs (the LTC holdings) is read at
    // the node's tip, the height the miner fees are summed to.
    await waitFor('the ltc scanner at the tip', async () => {
      const [[r]] = (await db.raw("SELECT MAX(number) AS n FROM chain_blocks WHERE chain = 'ltc'")) as [[{ n: number | null }]];
      return Number(r.n) >= (await ltc.height()) ? true : undefined;
    }).catch(() => say('the ltc scanner is not at the tip after 30 s (the ltc books may be off)'));

    say('checking');
    const injectedKinds = new Set(faults.log.filter((i) => i.result === 'done').map((i) => i.fault.split(' ')[1]!));
    const alarms = await alarmsCheck(db, injectedKinds);
    const checks: Check[] = [
      continuousCheck(samples, violationsSeen),
      await ledgerCheck(db),
      await idempotencyCheck(db, workload),
      await depositsCheck(db, provider, workload, CONFIRMATIONS, startBlock + 1),
      await withdrawalsCheck(db, provider, workload),
      await booksCheck(world, provider, before, startBlock),
      await ltcDepositsCheck(db, ltc, ltcWorkload, LTC_CONFIRMATIONS),
      await ltcWithdrawalsCheck(db, ltc, workload),
      await ltcBooksCheck(db, ltc, ltcBefore, await treasury(world, 'LTC'), ltcStartHeight),
      alarms,
      {
        name: 'no INTERNAL (500) answer: every fault is answered with a retryable code',
        checked: workload.posts.reduce((n, p) => n + p.attempts, 0),
        violations: workload.internalErrors.slice(0, 20).map((e) => `${e.path}: ${JSON.stringify(e.body).slice(0, 200)}`),
      },
    ];
    const operations: Record<string, number> = {};
    for (const p of workload.posts) operations[`${p.kind} ${p.outcome}`] = (operations[`${p.kind} ${p.outcome}`] ?? 0) + 1;
    operations['deposits sent'] = workload.deposits.length;
    const sweeps = await db('sweeps').select('status').count<{ status: string; n: number }[]>({ n: '*' }).groupBy('status');
    for (const r of sweeps) operations[`sweeps ${r.status}`] = Number(r.n);
    operations['ltc deposits sent'] = ltcWorkload.deposits.length;
    operations['ltc deposits replaced'] = ltcWorkload.deposits.filter((d) => d.replacedBy !== undefined).length;
    operations['ltc deposits not sent'] = ltcWorkload.failedSends;
    for (const p of workload.posts.filter((x) => x.kind === 'withdrawal')) {
      const key = `withdrawal ${(p.body as { asset: string }).asset} ${p.outcome}`;
      operations[key] = (operations[key] ?? 0) + 1;
    }
    for (const [kind, n] of Object.entries(alarms.seen)) operations[`alarm ${kind}`] = n;
    for (const r of workload.reviews) {
      const key = `review ${r.action} ${r.status}${r.code ? ` ${r.code}` : ''}`;
      operations[key] = (operations[key] ?? 0) + 1;
    }
    const failed = checks.find((c) => c.violations.length > 0);
    const report: CampaignReport = {
      seed: options.seed,
      minutes: options.minutes,
      schedule: schedule.map(describeFault),
      injected: injector.log,
      operations,
      checks,
      ok: failed === undefined,
      firstViolation: failed ? `${failed.name}: ${failed.violations[0]}` : null,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    // A broken invariant: the database stays for reading what happened (its name is in the report's progress lines).
    if (failed) {
      cluster.keepDatabaseAtStop = true;
      say(`database ${cluster.database} kept for the investigation (drop it with: mysql -uroot -e 'DROP DATABASE ${cluster.database}')`);
    }
    if (options.reportFile) {
      mkdirSync(dirname(options.reportFile), { recursive: true });
      writeFileSync(options.reportFile, `${JSON.stringify(report, null, 2)}\n`);
    }
    return report;
  } finally {
    await injector?.close();
    // The link back first: a node cut off would wait out its shutdown grace.
    if (host?.isCut) host.heal();
    await world?.stop().catch(() => {});
    await host?.close();
    await stack.stop();
  }
}

async function treasury(world: WithdrawalWorld, asset = 'ETH'): Promise<Books> {
  const { code, out, err } = await walletctl(world.cluster, 'treasury', 'check', '--asset', asset, '--json');
  if (code > 1) throw new Error(`walletctl treasury check: ${code} ${out.join('\n')} ${err.join('\n')}`);
  const { assets, unread } = JSON.parse(out.join('\n')) as {
    assets: { asset: string; liabilities: string; holdings: string; difference: string; block: number | null }[];
    unread: string[];
  };
  if (unread.length > 0) throw new Error(`walletctl treasury check: not measured: ${unread.join(', ')}`);
  const eth = assets.find((r) => r.asset === asset);
  if (!eth) throw new Error(`walletctl treasury check: no ${asset} row in ${out.join('\n')}`);
  return { liabilities: BigInt(eth.liabilities), holdings: BigInt(eth.holdings), difference: BigInt(eth.difference), block: eth.block };
}

/**
 * The books against the chain, exactly: from the start of the run to its end, holdings less liabilities (the
 * wallet's own money) moved by the fees users paid on confirmed withdrawals, less the gas the wallet's addresses spent
 * on the chain, less what deposit reversals could not take back (the reorg shortfall account). Any other change is
 * money created or lost.
 */
async function booksCheck(world: WithdrawalWorld, provider: JsonRpcProvider, before: Books, startBlock: number): Promise<Check> {
  const db = world.fixtures.db;
  const after = await treasury(world);
  const [[fees]] = (await db.raw(
    "SELECT CAST(COALESCE(SUM(fee), 0) AS CHAR) AS s FROM withdrawals WHERE asset = 'ETH' AND status = 'confirmed' AND internal_account_id IS NULL",
  )) as [[{ s: string }]];
  const [[shortfall]] = (await db.raw(
    "SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM journal WHERE account_id = 'sys:chain:eth:reorg_shortfall' AND asset = 'ETH'",
  )) as [[{ s: string }]];
  const wallet = new Set<string>(
    [
      ...((await db('hot_wallets').where({ chain: 'eth' }).pluck('address')) as string[]),
      ...((await db('operated_addresses').where({ chain: 'eth' }).pluck('address')) as string[]),
      ...((await db('addresses').where({ chain: 'eth' }).pluck('address')) as string[]),
    ].map((a) => a.toLowerCase()),
  );
  let gas = 0n;
  // Up to the block the holdings were read at (the scanner's): a transaction of the wallet mined after it is in
  // neither figure.
  const head = after.block ?? (await provider.getBlockNumber());
  for (let n = startBlock + 1; n <= head; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (!wallet.has(tx.from.toLowerCase())) continue;
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (receipt) gas += receipt.gasUsed * receipt.gasPrice;
    }
  }
  const expected = before.difference + BigInt(fees.s) - gas + BigInt(shortfall.s);
  const violations: string[] = [];
  if (after.difference !== expected) {
    violations.push(
      `ETH: holdings - liabilities went from ${before.difference} to ${after.difference}; fees ${fees.s}, gas ${gas}, reorg shortfall ${shortfall.s} make ${expected} (off by ${after.difference - expected})`,
    );
  }
  if (after.difference < 0n) violations.push(`ETH: holdings ${after.holdings} short of liabilities ${after.liabilities}`);
  return { name: "books against the chain: the wallet's own ETH moved only by fees, gas and reorg shortfalls", checked: 1, violations };
}

export type { Fault };
