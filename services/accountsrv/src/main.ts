import { clientKeySecrets } from '@wallet/accounts';
import { payoutChains } from '@wallet/chains';
import { publishCredentialChange } from '@wallet/client-auth';
import { createDb } from '@wallet/db';
import { Discovery } from '@wallet/discovery';
import { createRedis, loadGrpcTls, newInstanceId, runMain, serveAndRegister } from '@wallet/lifecycle';
import { createLogger } from '@wallet/logger';
import { Metrics, grpcClientObserver, startMetricsServer } from '@wallet/metrics';
import { ShardClients } from '@wallet/routing';
import { prepareSealedColumns, readSecretBox } from '@wallet/secret-box';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createDeriver } from './deriver.js';

const log = createLogger('accountsrv');

runMain(log, async () => {
  const config = loadConfig();
  log.level = config.LOG_LEVEL;
  const tls = loadGrpcTls(config, 'accountsrv', log);
  const startedAt = new Date();
  const instanceId = newInstanceId('accountsrv');
  const derive = createDeriver(config.WALLET_ASSETS, config.ACCOUNTSRV_XPUBS);
  const metrics = new Metrics({ service: 'accountsrv', instance: instanceId });
  const secrets = readSecretBox({ path: config.ACCOUNTSRV_SECRETS_KEK_FILE, name: 'ACCOUNTSRV_SECRETS_KEK_FILE' });
  log.info({ keyIds: secrets.keyIds, activeKeyId: secrets.activeKeyId }, 'secret keys loaded');

  const db = createDb(config.MYSQL_URL);
  await db.raw('SELECT 1');
  // Before serving: refuses a key file that lacks a key some secret is sealed under; seals plaintext rows (written
  // before issue 18) and rewraps those under an older key, so the older key can then leave the file.
  await prepareSealedColumns(db, secrets, [clientKeySecrets], { variable: 'ACCOUNTSRV_SECRETS_KEK_FILE', log });
  const redis = createRedis(config.REDIS_URL, log, 'main', { maxRetriesPerRequest: 2 });
  await redis.connect();
  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log,
  });
  const shards = await ShardClients.watch(discovery, tls, undefined, { observe: grpcClientObserver(metrics) });
  const prefix = `wallet:${config.WALLET_ENV}:`;
  const cachePrefix = `${prefix}addr:`;

  const served = await serveAndRegister({
    server: buildApp({
      instanceId,
      startedAt,
      metrics,
      db,
      log,
      secrets,
      registry: config.WALLET_ASSETS,
      shards,
      derive,
      scannedChains: new Set(Object.keys(config.WALLET_CHAIN_RPC)),
      payoutChains: payoutChains(config.WALLET_ASSETS, Object.keys(config.WALLET_CHAIN_RPC)),
      // A cache for the chain scanners; MySQL stays the truth (a miss falls back to it).
      // After the commit: every gateway drops its cached credentials of the key (a disable takes effect at once).
      onCredentialsChanged: async (keyId) => {
        await publishCredentialChange(redis, prefix, keyId);
      },
      onAddressCreated: async (a) => {
        await redis.set(`${cachePrefix}${a.chain}:${a.address}`, a.accountId).catch((error: unknown) => {
          log.warn({ err: error, chain: a.chain }, 'address cache write failed (MySQL has it)');
        });
      },
    }),
    discovery,
    instance: { service: 'accountsrv', instanceId, startedAt: startedAt.toISOString() },
    listen: config.ACCOUNTSRV_GRPC_ADDR,
    tls,
    advertiseHost: config.ACCOUNTSRV_ADVERTISE_HOST,
    graceMs: config.SHUTDOWN_GRACE_MS,
    log,
  });
  const metricsServer = await startMetricsServer(metrics, config.ACCOUNTSRV_METRICS_ADDR);
  metrics.ready = true;
  log.info({ url: `${metricsServer.url}/metrics` }, 'metrics ready');

  return async () => {
    metrics.ready = false;
    await served.stop();
    await shards.close();
    await discovery.close();
    await metricsServer.close();
    redis.disconnect();
    await db.destroy();
  };
});
