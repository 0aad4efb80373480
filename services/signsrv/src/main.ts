import { splitHostPort } from '@wallet/config';
import { createDb } from '@wallet/db';
import { Discovery } from '@wallet/discovery';
import { runMain, serveAndRegister } from '@wallet/lifecycle';
import { createLogger } from '@wallet/logger';
import { buildGrpc, buildHttp } from './app.js';
import { loadConfig } from './config.js';

const log = createLogger('signsrv');

runMain(log, async () => {
  const config = loadConfig();
  log.level = config.LOG_LEVEL;
  const startedAt = new Date();
  // The key holder is a singleton: one signsrv per cluster, so its identity is fixed and exclusive.
  const instanceId = 'signsrv';

  const db = createDb(config.MYSQL_URL);
  await db.raw('SELECT 1');
  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log,
  });

  const deps = { instanceId, startedAt, db, log };
  const http = buildHttp(deps);
  const { host, port } = splitHostPort(config.SIGNSRV_HTTP_ADDR);
  await http.listen({ host, port });
  const httpAddress = `${host}:${(http.server.address() as { port: number }).port}`;

  const served = await serveAndRegister({
    server: buildGrpc(deps),
    discovery,
    instance: { service: 'signsrv', instanceId, httpAddress, startedAt: startedAt.toISOString() },
    listen: config.SIGNSRV_GRPC_ADDR,
    advertiseHost: config.SIGNSRV_ADVERTISE_HOST,
    register: {
      exclusive: true,
      waitForExclusiveMs: (config.DISCOVERY_TTL_SECONDS + 2) * 1000,
      onLost: () => process.kill(process.pid, 'SIGTERM'),
    },
    graceMs: config.SHUTDOWN_GRACE_MS,
    log,
  });
  log.info({ url: `http://${httpAddress}` }, 'http ready');

  return async () => {
    await served.stop();
    await http.close();
    await discovery.close();
    await db.destroy();
  };
});
