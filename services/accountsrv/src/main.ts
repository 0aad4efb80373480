import { createDb } from '@wallet/db';
import { Discovery } from '@wallet/discovery';
import { newInstanceId, runMain, serveAndRegister } from '@wallet/lifecycle';
import { createLogger } from '@wallet/logger';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const log = createLogger('accountsrv');

runMain(log, async () => {
  const config = loadConfig();
  log.level = config.LOG_LEVEL;
  const startedAt = new Date();
  const instanceId = newInstanceId('accountsrv');

  const db = createDb(config.MYSQL_URL);
  await db.raw('SELECT 1');
  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    ttlSeconds: config.DISCOVERY_TTL_SECONDS,
    log,
  });

  const served = await serveAndRegister({
    server: buildApp({ instanceId, startedAt, db, log }),
    discovery,
    instance: { service: 'accountsrv', instanceId, startedAt: startedAt.toISOString() },
    listen: config.ACCOUNTSRV_GRPC_ADDR,
    advertiseHost: config.ACCOUNTSRV_ADVERTISE_HOST,
    graceMs: config.SHUTDOWN_GRACE_MS,
    log,
  });

  return async () => {
    await served.stop();
    await discovery.close();
    await db.destroy();
  };
});
