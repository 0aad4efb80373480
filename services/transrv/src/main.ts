import { payoutChains } from '@wallet/chains';
import { type NodeDbs, createDb } from '@wallet/db';
import { Discovery } from '@wallet/discovery';
import { EventSequencer } from '@wallet/events';
import { EmailNotifier } from '@wallet/email';
import { FiatRateRefresher, createFiatProvider } from '@wallet/rates';
import { WebhookDispatcher, prepareWebhookSecrets } from '@wallet/webhooks';
import { StreamConsumer, streamGroupStats } from '@wallet/jobs';
import { Metrics, grpcClientObserver, outboxMetrics, startMetricsServer, streamMetrics } from '@wallet/metrics';
import { TransferRelay } from '@wallet/ledger';
import { crashPoints, createRedis, loadGrpcTls, runMain, serveAndRegister } from '@wallet/lifecycle';
import { createLogger } from '@wallet/logger';
import { ShardClients } from '@wallet/routing';
import { readSecretBox } from '@wallet/secret-box';
import { RequestRelay, applyResponses, internalCreditOf } from '@wallet/withdrawals';
import { BlockoutResponse, blockoutKeys } from '@wallet/withdrawal-protocol';
import { AccountDirectory } from './accountDirectory.js';
import { buildApp, recordNodeStart } from './app.js';
import { startChainWork } from './scanning.js';
import { transrvMetrics } from './transrvMetrics.js';
import { loadConfig } from './config.js';

const log = createLogger('transrv');

runMain(log, async () => {
  const config = loadConfig();
  log.level = config.LOG_LEVEL;
  const tls = loadGrpcTls(config, 'transrv', log);
  const startedAt = new Date();
  const nodeId = config.TRANSRV_NODE_ID;
  const nodeLog = log.child({ nodeId });
  const metrics = new Metrics({ service: 'transrv', instance: nodeId }, (collector, error) =>
    nodeLog.warn({ err: error, collector }, 'metrics collection failed; the last values are served'),
  );
  const secrets = readSecretBox({ path: config.TRANSRV_SECRETS_KEK_FILE, name: 'TRANSRV_SECRETS_KEK_FILE' });
  nodeLog.info({ keyIds: secrets.keyIds, activeKeyId: secrets.activeKeyId }, 'secret keys loaded');

  // Two pools, one per placement (docs/sharding.md): the global database's tables and this node's shard's. Both are
  // MYSQL_URL until a node may have a database of its own; each query already goes to the pool of its tables, which
  // the placement census checks (WALLET_DB_TRACE_DIR: packages/db/src/placementCensusMain.ts reports any that does not).
  const dbs: NodeDbs = {
    global: createDb(config.MYSQL_URL, { placement: 'global' }),
    shard: createDb(config.MYSQL_URL, { placement: 'shard' }),
  };
  const { global, shard } = dbs;
  await recordNodeStart(global, nodeId);
  // Before serving: refuses a key file that lacks a key some webhook secret is sealed under; seals plaintext ones
  // (written before issue 18) and rewraps those under an older key, so the older key can then leave every node's file.
  await prepareWebhookSecrets(global, secrets, { variable: 'TRANSRV_SECRETS_KEK_FILE', log: nodeLog });
  const redis = createRedis(config.REDIS_URL, nodeLog, 'main', { maxRetriesPerRequest: 2 });
  await redis.connect();
  const consumerRedis = createRedis(config.REDIS_URL, nodeLog, 'consumer', { maxRetriesPerRequest: null });
  await consumerRedis.connect();
  const keys = blockoutKeys(config.WALLET_ENV);
  const crashPoint = crashPoints(config.WALLET_CRASH_POINTS, nodeLog);
  // Withdrawals: the outbox to signsrv (blockout_req), and signsrv's reports (blockout_rsp) for this node's
  // withdrawals, each applied in MySQL before it is acknowledged.
  const requestRelay = new RequestRelay({
    db: shard,
    redis,
    nodeId,
    stream: keys.req,
    log: nodeLog.child({ component: 'req-relay' }),
    resendAfterMs: config.TRANSRV_RESEND_AFTER_MS,
  });
  const rspLog = nodeLog.child({ component: 'rsp-consumer' });
  const responses = new StreamConsumer({
    redis: consumerRedis,
    stream: keys.rsp,
    group: `transrv:${nodeId}`,
    consumer: nodeId,
    log: rspLog,
    handle: async (entries) => {
      const mine: BlockoutResponse[] = [];
      for (const { message } of entries) {
        let msg: BlockoutResponse;
        try {
          msg = BlockoutResponse.parse(JSON.parse(message));
        } catch {
          rspLog.error({ entry: message.slice(0, 500) }, 'blockout_rsp: malformed entry dropped');
          continue;
        }
        // Another node's withdrawal: its own consumer group applies it.
        if (msg.nodeId === nodeId) mine.push(msg);
      }
      for (const { message: msg, outcome } of await applyResponses(shard, nodeId, mine, crashPoint)) {
        if (outcome === 'unverified') rspLog.error({ ...msg }, 'blockout_rsp: message not backed by signsrv records in MySQL; ignored');
        else if (outcome === 'applied')
          rspLog.info({ withdrawalId: msg.withdrawalId, type: msg.type, txid: msg.txid }, 'withdrawal updated');
      }
    },
  });
  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log: nodeLog,
  });
  // Peers, for delivering the credit leg of cross-node transfers.
  const peers = await ShardClients.watch(discovery, tls, 3000, { observe: grpcClientObserver(metrics) });
  const relay = new TransferRelay({
    db: shard,
    nodeId,
    log: nodeLog.child({ component: 'transfer-relay' }),
    deliver: async (t) => {
      // An internal withdrawal's credit: checked here against the confirmed withdrawal in this node's own database
      // (a CONFLICT leaves it undelivered; the relay logs it and tries again), and sent with its chain and address.
      const paid =
        t.withdrawalId === null
          ? undefined
          : await internalCreditOf(shard, {
              withdrawalId: t.withdrawalId,
              fromNodeId: nodeId,
              toAccountId: t.toAccountId,
              asset: t.asset,
              amount: t.amount,
            });
      await peers.call(t.toNodeId, (client) =>
        client.creditTransfer({
          transferId: t.id,
          fromNodeId: nodeId,
          toAccountId: t.toAccountId,
          asset: t.asset,
          amount: t.amount.toString(),
          withdrawalId: t.withdrawalId ?? '',
          withdrawalChain: paid?.chain ?? '',
          withdrawalAddress: paid?.address ?? '',
        }),
      );
    },
  });

  const webhookPolicy = { allowPrivate: config.TRANSRV_WEBHOOK_ALLOW_PRIVATE };
  // The clients' event feed: this node's outbox into the feed, announced on Redis for the gateways' long polls. Started
  // once the node serves (below); a write kicks it so its events reach the feed at once rather than at the next pass.
  const sequencer = new EventSequencer({
    db: dbs,
    redis,
    env: config.WALLET_ENV,
    nodeId,
    log: nodeLog.child({ component: 'event-sequencer' }),
    intervalMs: config.TRANSRV_EVENTS_MS,
  });
  const served = await serveAndRegister({
    server: buildApp({
      nodeId,
      instanceId: nodeId,
      startedAt,
      metrics,
      dbs,
      log: nodeLog,
      registry: config.WALLET_ASSETS,
      accounts: new AccountDirectory(global),
      relay,
      payoutChains: payoutChains(config.WALLET_ASSETS, Object.keys(config.WALLET_CHAIN_RPC)),
      crashPoint,
      webhookPolicy,
      secrets,
      fiatRatesMs: config.TRANSRV_FIAT_RATES_MS,
      feeRateMaxAgeMs: 2 * config.TRANSRV_FEE_RATES_MS,
      eventsAppended: () => void sequencer.kick(),
    }),
    discovery,
    instance: { service: 'transrv', instanceId: nodeId, nodeId, startedAt: startedAt.toISOString() },
    listen: config.TRANSRV_GRPC_ADDR,
    tls,
    advertiseHost: config.TRANSRV_ADVERTISE_HOST,
    // A node id owns its accounts: two live processes with one node id would both serve them.
    register: {
      exclusive: true,
      // A crashed predecessor's lease is waited out (etcd may expire it late); a live holder is refused at once.
      waitForExclusiveMs: (3 * config.DISCOVERY_TTL_SECONDS + 2) * 1000,
      onLost: () => process.kill(process.pid, 'SIGTERM'),
    },
    graceMs: config.SHUTDOWN_GRACE_MS,
    log: nodeLog,
  });
  // Only once registered: delivering needs no registration, but resuming after a crash should not race start-up.
  relay.start();
  const chainWork = await startChainWork({
    dbs,
    etcd: discovery.etcd,
    env: config.WALLET_ENV,
    nodeId,
    registry: config.WALLET_ASSETS,
    rpcUrls: config.WALLET_CHAIN_RPC,
    wsUrls: config.WALLET_CHAIN_WS,
    startHeights: config.TRANSRV_SCAN_START_HEIGHTS,
    scan: config.TRANSRV_SCAN,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log: nodeLog,
    ctxLookup: async (txids) => (txids.length === 0 ? [] : redis.hmget(keys.ctx, ...txids)),
    // An internal withdrawal's credit on another node: delivered at once (the relay's sweep retries).
    deliverCredit: (transfer) => void relay.deliver(transfer),
    crashPoint,
    feeRatesMs: config.TRANSRV_FEE_RATES_MS,
  });
  requestRelay.start();
  responses.start();
  sequencer.start();
  // Webhooks: every node delivers, each endpoint by the node holding its lease.
  const webhooks = new WebhookDispatcher({
    db: global,
    nodeId,
    log: nodeLog.child({ component: 'webhooks' }),
    secrets,
    policy: webhookPolicy,
    retryScheduleMs: config.TRANSRV_WEBHOOK_RETRY_MS,
    giveUpAfterMs: config.TRANSRV_WEBHOOK_GIVE_UP_MS,
    disableAfterMs: config.TRANSRV_WEBHOOK_DISABLE_AFTER_MS,
  });
  webhooks.start();
  // Email: every node fans out and sends (each email claimed by one node), when an SMTP server is configured.
  const email = config.TRANSRV_SMTP_URL
    ? new EmailNotifier({
        db: global,
        nodeId,
        log: nodeLog.child({ component: 'email' }),
        smtpUrl: config.TRANSRV_SMTP_URL,
        from: config.TRANSRV_EMAIL_FROM,
        retryScheduleMs: config.TRANSRV_EMAIL_RETRY_MS,
      })
    : undefined;
  email?.start();
  // Fiat prices: every node refreshes when due, from the first provider that answers.
  const fiatRates =
    config.TRANSRV_FIAT_PROVIDERS.length > 0
      ? new FiatRateRefresher({
          db: global,
          log: nodeLog.child({ component: 'fiat-rates' }),
          providers: config.TRANSRV_FIAT_PROVIDERS.map(createFiatProvider),
          assets: [...config.WALLET_ASSETS.assets.keys()],
          fiats: config.TRANSRV_FIAT_CURRENCIES,
          intervalMs: config.TRANSRV_FIAT_RATES_MS,
        })
      : undefined;
  fiatRates?.start();
  transrvMetrics(metrics, { db: shard, nodeId, scanners: () => chainWork.scanners.map((s) => s.metrics()) });
  outboxMetrics(metrics, [requestRelay, sequencer, sequencer.globalOrigin]);
  streamMetrics(metrics, [
    { stream: 'blockout_rsp', group: `transrv:${nodeId}`, stats: () => streamGroupStats(redis, keys.rsp, `transrv:${nodeId}`) },
  ]);
  const metricsServer = await startMetricsServer(metrics, config.TRANSRV_METRICS_ADDR);
  metrics.ready = true;
  nodeLog.info({ url: `${metricsServer.url}/metrics` }, 'metrics ready');

  return async () => {
    metrics.ready = false;
    await served.stop();
    await requestRelay.stop();
    await responses.stop();
    await chainWork.stop();
    await webhooks.stop();
    await email?.stop();
    await fiatRates?.stop();
    await sequencer.stop();
    await metricsServer.close();
    await relay.stop();
    await peers.close();
    await discovery.close();
    redis.disconnect();
    await shard.destroy();
    await global.destroy();
  };
});
