import { splitHostPort } from '@wallet/config';
import { type EvmAdapter, type UtxoAdapter, chainFamily, createChainAdapter, isEvmAdapter, isUtxoAdapter } from '@wallet/chains';
import { createDb } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { Discovery } from '@wallet/discovery';
import { StreamConsumer, streamGroupStats } from '@wallet/jobs';
import { crashPoints, createRedis, loadGrpcTls, runMain, serveAndRegister, untilAvailable } from '@wallet/lifecycle';
import { createLogger } from '@wallet/logger';
import { Metrics, outboxMetrics, startMetricsServer, streamMetrics } from '@wallet/metrics';
import {
  Auditors,
  EvmSweeps,
  type OperatedAddresses,
  type PayoutFamily,
  type PayoutFamilySpec,
  Payouts,
  Reconciler,
  ResponseRelay,
  createPayoutFamily,
  ingestRequests,
  signingControls,
} from '@wallet/payout';
import { evmDepositAccountPath, evmDepositSigner, evmFeeWalletPath, evmSigner, selfTestEvmSigner } from '@wallet/signer';
import { appendAudit } from '@wallet/audit';
import { Throttle } from '@wallet/console-auth';
import { blockoutKeys } from '@wallet/withdrawal-protocol';
import { buildGrpc, buildHttp } from './app.js';
import { type UtxoPayoutPolicy, loadConfig } from './config.js';
import { createConsoleDeps } from './console/index.js';
import { openVault } from './openVault.js';
import { signsrvMetrics } from './signsrvMetrics.js';
import { buildTreasury } from './treasury.js';

const log = createLogger('signsrv');

/** A UTXO chain's payout policy from its configuration entry. */
function utxoPolicy(p: UtxoPayoutPolicy | undefined): NonNullable<PayoutFamilySpec['utxo']> {
  if (p === undefined) return {};
  return {
    ...(p.batchWindowMs === undefined && p.maxOutputs === undefined
      ? {}
      : { batch: { windowMs: p.batchWindowMs ?? 0, maxOutputs: p.maxOutputs ?? 1 } }),
    ...(p.maxFeeRate === undefined ? {} : { maxFeeRate: BigInt(p.maxFeeRate) }),
    ...(p.minConf === undefined ? {} : { minConf: p.minConf }),
    ...(p.buildLockMs === undefined ? {} : { buildLockMs: p.buildLockMs }),
    ...(p.consolidateBelowFeeRate === undefined
      ? {}
      : {
          autoConsolidation: {
            belowFeeRate: BigInt(p.consolidateBelowFeeRate),
            minUtxos: p.consolidateMinUtxos ?? 200,
            maxInputs: p.consolidateMaxInputs ?? 100,
          },
        }),
  };
}

/** The configured operated addresses plus each sweep job's fee wallet (role `fee`) and the tiers' cold addresses. */
function withFeeWallets(
  configured: OperatedAddresses,
  sweeps: ReadonlyMap<string, EvmSweeps>,
  cold: ReadonlyMap<string, readonly string[]>,
): OperatedAddresses {
  const merged: Record<string, OperatedAddresses[string]> = { ...configured };
  for (const [chainId, sweep] of sweeps) {
    const roles = merged[chainId] ?? {};
    merged[chainId] = { ...roles, fee: [...(roles.fee ?? []), sweep.feeWallet] };
  }
  for (const [chainId, addresses] of cold) {
    const roles = merged[chainId] ?? {};
    merged[chainId] = { ...roles, cold: [...new Set([...(roles.cold ?? []), ...addresses])] };
  }
  return merged;
}

/** 500 gwei: the default ceiling of maxFeePerGas on a chain without its own. */
const DEFAULT_MAX_FEE_PER_GAS = 500_000_000_000n;

runMain(log, async () => {
  const config = loadConfig();
  log.level = config.LOG_LEVEL;
  const tls = loadGrpcTls(config, 'signsrv', log);
  const startedAt = new Date();
  // The key holder is a singleton: one signsrv per cluster, so its identity is fixed and exclusive.
  const instanceId = 'signsrv';
  const metrics = new Metrics({ service: 'signsrv', instance: instanceId }, (collector, error) =>
    log.warn({ err: error, collector }, 'metrics collection failed; the last values are served'),
  );

  // A known-answer test of the signing primitive before any key is opened (as bitcoinjs-lib's initEccLib does).
  selfTestEvmSigner();
  const vault = openVault({
    keystore: { path: config.SIGNSRV_KEYSTORE_FILE, name: 'SIGNSRV_KEYSTORE_FILE' },
    protector:
      config.SIGNSRV_KEK_FILE !== undefined
        ? { kind: 'kek', path: config.SIGNSRV_KEK_FILE, name: 'SIGNSRV_KEK_FILE' }
        : { kind: 'passphrase', path: config.SIGNSRV_PASSPHRASE_FILE!, name: 'SIGNSRV_PASSPHRASE_FILE' },
  });
  log.info({ fingerprint: vault.fingerprint }, 'keystore opened');
  const auditors = new Auditors(config.SIGNSRV_AUDITORS);

  const db = createDb(config.MYSQL_URL);
  await db.raw('SELECT 1');
  const redis = createRedis(config.REDIS_URL, log, 'main', { maxRetriesPerRequest: 2 });
  await redis.connect();
  const consumerRedis = createRedis(config.REDIS_URL, log, 'consumer', { maxRetriesPerRequest: null });
  await consumerRedis.connect();
  const keys = blockoutKeys(config.WALLET_ENV);
  const crashPoint = crashPoints(config.WALLET_CRASH_POINTS, log);

  const families = new Map<string, PayoutFamily>();
  const evmAdapters = new Map<string, EvmAdapter>();
  const utxoAdapters = new Map<string, UtxoAdapter>();
  const utxoCold = new Map<string, (addresses: readonly string[]) => Promise<{ height: number; total: bigint }>>();
  for (const chain of config.WALLET_ASSETS.chains.values()) {
    const rpcUrl = config.WALLET_CHAIN_RPC[chain.id];
    if (!rpcUrl) continue;
    // No payout family for the chain's family: transrv refuses its withdrawals, and no node is needed here.
    if (!chainFamily(chain).payouts) {
      log.info({ chain: chain.id, kind: chain.kind }, 'no payouts on this chain (not supported yet)');
      continue;
    }
    const utxo = config.SIGNSRV_UTXO_PAYOUTS[chain.id];
    // Nothing is signed without the node: a node that is down is waited for (a restart loop would find it no sooner);
    // one serving another chain refuses the start.
    const adapter = await untilAvailable(
      () =>
        createChainAdapter({
          chain,
          assets: [...config.WALLET_ASSETS.assets.values()].filter((a) => a.chain === chain.id),
          rpcUrl,
          ...(utxo === undefined
            ? {}
            : {
                utxoFees: {
                  ...(utxo.confTarget === undefined ? {} : { confTarget: utxo.confTarget }),
                  ...(utxo.fallbackFeeRate === undefined ? {} : { fallbackSatPerVbyte: BigInt(utxo.fallbackFeeRate) }),
                  ...(utxo.maxFeeRate === undefined ? {} : { maxSatPerVbyte: BigInt(utxo.maxFeeRate) }),
                },
              }),
        }),
      { log, context: { chain: chain.id }, what: 'chain node' },
    );
    if (isEvmAdapter(adapter)) evmAdapters.set(chain.id, adapter);
    if (isUtxoAdapter(adapter)) {
      utxoAdapters.set(chain.id, adapter);
      utxoCold.set(chain.id, (addresses) => adapter.addressesBalance(addresses));
    }
    families.set(
      chain.id,
      createPayoutFamily({
        chain,
        adapter,
        vault,
        registry: config.WALLET_ASSETS,
        db,
        log: log.child({ component: 'payouts', chain: chain.id }),
        maxFeePerGas: config.SIGNSRV_MAX_FEE_PER_GAS[chain.id] ?? DEFAULT_MAX_FEE_PER_GAS,
        utxo: utxoPolicy(utxo),
        rebroadcastAfterMs: config.SIGNSRV_REBROADCAST_MS,
        crash: crashPoint,
        audit: appendAudit,
      }),
    );
  }
  // The sweep job of each EVM chain configured for it: the deposit account's key and the fee wallet's, from the seed.
  const sweeps = new Map<string, EvmSweeps>();
  for (const [chainId, policy] of Object.entries(config.SIGNSRV_SWEEPS)) {
    const chain = config.WALLET_ASSETS.chains.get(chainId);
    const adapter = evmAdapters.get(chainId);
    const family = families.get(chainId);
    if (!chain || !adapter || !family) {
      throw new WalletError('CONFIG_INVALID', `SIGNSRV_SWEEPS: ${chainId} is not an EVM chain signsrv pays out on`, {
        details: { variables: ['SIGNSRV_SWEEPS'], chain: chainId },
      });
    }
    sweeps.set(
      chainId,
      new EvmSweeps({
        chain,
        adapter,
        registry: config.WALLET_ASSETS,
        db,
        log: log.child({ component: 'sweeps', chain: chainId }),
        depositKeys: vault.signer(evmDepositSigner, evmDepositAccountPath),
        feeWallet: vault.signer(evmSigner, evmFeeWalletPath),
        hotWallet: family.address,
        maxFeePerGas: config.SIGNSRV_MAX_FEE_PER_GAS[chainId] ?? DEFAULT_MAX_FEE_PER_GAS,
        thresholds: policy.thresholds,
        maxInFlight: policy.maxInFlight ?? 10,
        rebroadcastAfterMs: config.SIGNSRV_REBROADCAST_MS,
        crash: crashPoint,
        audit: appendAudit,
      }),
    );
  }
  // The treasury job: approved cold transfers and contract calls signed from the hot wallet, refills from cold
  // recognised, the tiers checked (docs/treasury.md).
  const treasury = buildTreasury({
    db,
    log,
    registry: config.WALLET_ASSETS,
    vault,
    families,
    evmAdapters,
    utxoAdapters,
    sweeps,
    tiers: config.SIGNSRV_TIERS,
    approvals: config.SIGNSRV_TREASURY_APPROVALS,
    maxFeePerGas: (chainId) => config.SIGNSRV_MAX_FEE_PER_GAS[chainId] ?? DEFAULT_MAX_FEE_PER_GAS,
    rebroadcastAfterMs: config.SIGNSRV_REBROADCAST_MS,
    audit: appendAudit,
  });
  vault.wipe(); // the signers hold their own keys; the seed is not needed any more

  const relay = new ResponseRelay({
    db,
    redis,
    stream: keys.rsp,
    log: log.child({ component: 'rsp-relay' }),
    resendAfterMs: config.SIGNSRV_RESEND_AFTER_MS,
  });
  const payouts = new Payouts({
    db,
    redis,
    ctxKey: keys.ctx,
    registry: config.WALLET_ASSETS,
    families,
    limits: config.SIGNSRV_LIMITS,
    audit: appendAudit,
    // The fee wallets are operated addresses too: no withdrawal is ever paid to one.
    operatedAddresses: withFeeWallets(config.SIGNSRV_OPERATED_ADDRESSES, sweeps, treasury.cold),
    relay,
    log: log.child({ component: 'payouts' }),
    crashPoint,
    bumpAfterMs: config.SIGNSRV_BUMP_AFTER_MS,
    rebroadcastAfterMs: config.SIGNSRV_REBROADCAST_MS,
    receiptCheckMs: config.SIGNSRV_RECEIPT_CHECK_MS,
  });
  await payouts.init();
  for (const [chainId, sweep] of sweeps) {
    await sweep.init();
    log.info({ chain: chainId, feeWallet: sweep.feeWallet }, 'sweeps ready (fund the fee wallet for token sweeps)');
  }
  await treasury.job.init();
  const reconciler = new Reconciler({
    db,
    log: log.child({ component: 'reconciliation' }),
    registry: config.WALLET_ASSETS,
    evm: evmAdapters,
    utxoCold,
    audit: appendAudit,
    tolerances: config.SIGNSRV_RECONCILE_TOLERANCE,
    intervalMs: config.SIGNSRV_RECONCILE_MS,
    settlementWatchMs: config.SIGNSRV_RECONCILE_SETTLEMENT_MS,
  });
  const consumer = new StreamConsumer({
    redis: consumerRedis,
    stream: keys.req,
    group: 'signsrv',
    consumer: instanceId,
    log: log.child({ component: 'req-consumer' }),
    handle: async (entries) => {
      const outcome = await ingestRequests(
        db,
        log,
        entries.map((e) => e.message),
      );
      if (outcome.queued > 0 || outcome.duplicate > 0) relay.kick();
      // Reviewers see whether each destination is a contract: looked up after the request is queued, off its path.
      if (outcome.queued > 0)
        void payouts.flagDestinations().catch((error: unknown) => log.warn({ err: error }, 'destination lookups failed'));
    },
  });

  // HTTP listens before etcd registration (its address is part of what gets registered), so until registration
  // succeeds, and again once it is lost, the review API answers UNAVAILABLE: a second signsrv waiting for the
  // exclusive registration must not decide withdrawals.
  let registered = false;
  const deps = {
    instanceId,
    startedAt,
    metrics,
    db,
    log,
    payouts,
    auditors,
    automation: {
      enabled: async () => (await signingControls(db)).automationEnabled,
      throttle: new Throttle(db),
    },
    ready: () => registered,
    // The auditors' console on the same HTTP server, under /console.
    console: createConsoleDeps({
      db,
      log,
      payouts,
      registry: config.WALLET_ASSETS,
      treasuryApprovals: config.SIGNSRV_TREASURY_APPROVALS,
      fiat: config.SIGNSRV_CONSOLE_FIAT,
    }),
  };
  const http = buildHttp(deps);
  const { host, port } = splitHostPort(config.SIGNSRV_HTTP_ADDR);
  await http.listen({ host, port });
  const httpAddress = `${host}:${(http.server.address() as { port: number }).port}`;

  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log,
  });
  const served = await serveAndRegister({
    server: buildGrpc(deps),
    discovery,
    instance: { service: 'signsrv', instanceId, httpAddress, startedAt: startedAt.toISOString() },
    listen: config.SIGNSRV_GRPC_ADDR,
    tls,
    advertiseHost: config.SIGNSRV_ADVERTISE_HOST,
    register: {
      exclusive: true,
      // A crashed predecessor's lease is waited out (etcd may expire it late); a live holder is refused at once.
      waitForExclusiveMs: (3 * config.DISCOVERY_TTL_SECONDS + 2) * 1000,
      onLost: () => {
        registered = false;
        process.kill(process.pid, 'SIGTERM');
      },
    },
    graceMs: config.SHUTDOWN_GRACE_MS,
    log,
  });
  // Only once registered as the one signsrv: a second instance must not send or sign.
  registered = true;
  relay.start();
  consumer.start();
  payouts.start();
  for (const [chainId, sweep] of sweeps) sweep.start(config.SIGNSRV_SWEEPS[chainId]?.intervalMs ?? 5000);
  reconciler.start();
  treasury.job.start(config.SIGNSRV_TREASURY_MS);
  signsrvMetrics(metrics, db);
  outboxMetrics(metrics, [relay]);
  streamMetrics(metrics, [{ stream: 'blockout_req', group: 'signsrv', stats: () => streamGroupStats(redis, keys.req, 'signsrv') }]);
  const metricsServer = await startMetricsServer(metrics, config.SIGNSRV_METRICS_ADDR);
  metrics.ready = true;
  log.info({ url: `${metricsServer.url}/metrics` }, 'metrics ready');
  log.info({ url: `http://${httpAddress}`, chains: [...families.keys()], auditors: Object.keys(config.SIGNSRV_AUDITORS) }, 'http ready');

  return async () => {
    metrics.ready = false;
    await served.stop();
    await http.close();
    await reconciler.stop();
    await treasury.job.stop();
    for (const sweep of sweeps.values()) await sweep.stop();
    await payouts.stop();
    await consumer.stop();
    await relay.stop();
    await payouts.close();
    for (const sweep of sweeps.values()) sweep.close();
    await metricsServer.close();
    redis.disconnect();
    await discovery.close();
    await db.destroy();
  };
});
