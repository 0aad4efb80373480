import { createConnection } from 'node:net';
import { stackEnv } from './stackEnv.js';

/** Integration tests need the real stack: fail fast, naming what is missing and how to start it. */
export default async function globalSetup(): Promise<void> {
  const targets = [
    ['MariaDB', new URL(stackEnv.MYSQL_ROOT_URL)],
    ['Redis', new URL(stackEnv.REDIS_URL)],
    ['etcd', new URL(stackEnv.ETCD_ENDPOINTS.split(',')[0]!)],
  ] as const;
  const down: string[] = [];
  await Promise.all(
    targets.map(async ([name, url]) => {
      if (!(await canConnect(url.hostname, Number(url.port)))) down.push(`${name} (${url.host})`);
    }),
  );
  if (down.length > 0) {
    throw new Error(`the local stack is not running: ${down.join(', ')} unreachable. Start it with: bash deploy/local/stack.sh up`);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
