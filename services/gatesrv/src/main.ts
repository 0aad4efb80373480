import { IdempotencyStore, RateLimiter, RequestAuthenticator } from '@wallet/client-auth';
import { splitHostPort } from '@wallet/config';
import { Discovery } from '@wallet/discovery';
import { isWalletError } from '@wallet/errors';
import { createRedis, loadGrpcTls, newInstanceId, runMain } from '@wallet/lifecycle';
import { createLogger } from '@wallet/logger';
import { Metrics, grpcClientObserver, startMetricsServer } from '@wallet/metrics';
import { AccountServiceService } from '@wallet/proto';
import { AnyInstanceClient, ShardClients } from '@wallet/routing';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccountRouter } from './AccountRouter.js';
import { buildApp } from './app.js';
import { EventWaiter } from './EventWaiter.js';
import { loadConfig } from './config.js';
import { Peers } from './peers.js';

const log = createLogger('gatesrv');

runMain(log, async () => {
  const config = loadConfig();
  log.level = config.LOG_LEVEL;
  const tls = loadGrpcTls(config, 'gatesrv', log);
  const startedAt = new Date();
  const instanceId = newInstanceId('gatesrv');
  const prefix = `wallet:${config.WALLET_ENV}:`;
  const metrics = new Metrics({ service: 'gatesrv', instance: instanceId });
  const observe = grpcClientObserver(metrics);

  const redis = createRedis(config.REDIS_URL, log, 'main', { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  await redis.connect();
  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log,
  });
  const [shards, accountsrv] = await Promise.all([
    ShardClients.watch(discovery, tls, config.GATESRV_UPSTREAM_TIMEOUT_MS, { observe }),
    AnyInstanceClient.watch(discovery, 'accountsrv', AccountServiceService, tls, config.GATESRV_UPSTREAM_TIMEOUT_MS, { observe }),
  ]);

  const peers = new Peers(accountsrv, shards);
  // Credentials are cached per gateway; a disable or rotation reaches every gateway over Redis pub/sub (start()).
  const authenticator = new RequestAuthenticator({
    redis,
    prefix,
    log,
    windowMs: config.GATESRV_AUTH_WINDOW_MS,
    credentialCacheMs: config.GATESRV_CREDENTIAL_CACHE_MS,
    lookup: async (keyId) => {
      try {
        return await accountsrv.pick().getClientCredentials({ keyId });
      } catch (error) {
        if (isWalletError(error, 'NOT_FOUND')) return undefined;
        throw error;
      }
    },
  });
  await authenticator.start();
  const events = new EventWaiter(redis, config.WALLET_ENV, log);
  await events.start();
  const app = buildApp({
    instanceId,
    log,
    metrics,
    bodyLimitBytes: config.GATESRV_BODY_LIMIT_BYTES,
    trustedProxies: config.GATESRV_TRUSTED_PROXIES,
    upstreamTimeoutMs: config.GATESRV_UPSTREAM_TIMEOUT_MS,
    peers,
    registry: config.WALLET_ASSETS,
    authenticator,
    rateLimiter: new RateLimiter({ redis, prefix, limit: config.GATESRV_RATE_LIMIT_PER_SECOND, windowMs: 1000 }),
    idempotency: new IdempotencyStore({ redis, prefix }),
    accountsrv,
    shards,
    router: new AccountRouter(accountsrv, redis, `${prefix}acct:v2:`),
    events,
    ready: () => metrics.ready,
  });
  const { host, port } = splitHostPort(config.GATESRV_HTTP_ADDR);
  await app.listen({ host, port });
  const httpAddress = `${host}:${(app.server.address() as { port: number }).port}`;
  // Registered for ops visibility (walletctl); clients reach gateways through a load balancer.
  const registration = await discovery.register({
    service: 'gatesrv',
    instanceId,
    address: '',
    httpAddress,
    startedAt: startedAt.toISOString(),
  });
  const metricsServer = await startMetricsServer(metrics, config.GATESRV_METRICS_ADDR);
  metrics.ready = true;
  log.info({ url: `${metricsServer.url}/metrics` }, 'metrics ready');
  log.info({ url: `http://${httpAddress}`, instanceId }, 'ready');

  return async () => {
    // Out of rotation first, still serving: /readyz and /healthz answer 503 from now on, and the load balancer keeps
    // sending requests until its health checks have seen that. Closing the port at once would refuse those requests,
    // and close keep-alive connections the balancer is about to reuse.
    metrics.ready = false;
    await registration.deregister();
    log.info({ delayMs: config.GATESRV_SHUTDOWN_DELAY_MS }, 'draining: not ready, serving until the load balancer has seen it');
    await sleep(config.GATESRV_SHUTDOWN_DELAY_MS);
    // Stops accepting, closes idle keep-alive connections, waits for in-flight requests; each of those is answered
    // with `Connection: close` (createEdgeApp), so no connection outlives its last request.
    await app.close();
    await Promise.all([shards.close(), accountsrv.close()]);
    await discovery.close();
    await authenticator.close();
    await events.close();
    await metricsServer.close();
    redis.disconnect();
  };
});
