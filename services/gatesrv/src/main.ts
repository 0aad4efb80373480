import { splitHostPort } from '@wallet/config';
import { Discovery } from '@wallet/discovery';
import { newInstanceId, runMain } from '@wallet/lifecycle';
import { createLogger } from '@wallet/logger';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { Peers } from './peers.js';

const log = createLogger('gatesrv');

runMain(log, async () => {
  const config = loadConfig();
  log.level = config.LOG_LEVEL;
  const startedAt = new Date();
  const instanceId = newInstanceId('gatesrv');

  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log,
  });
  const peers = await Peers.watch(discovery);
  const app = buildApp({
    instanceId,
    peers,
    log,
    bodyLimitBytes: config.GATESRV_BODY_LIMIT_BYTES,
    upstreamTimeoutMs: config.GATESRV_UPSTREAM_TIMEOUT_MS,
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
  log.info({ url: `http://${httpAddress}`, instanceId }, 'ready');

  return async () => {
    await registration.deregister();
    // fastify's close stops accepting and waits for in-flight requests.
    await app.close();
    await peers.close();
    await discovery.close();
  };
});
