import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './repoRoot.js';
import { stackEnv } from './stackEnv.js';

/** Integration tests need the real stack: fail fast, naming what is missing and how to start it. */
export default async function globalSetup(): Promise<void> {
  ensureBuilt();
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

/**
 * Cluster tests run each service from its built entry point (services/<name>/dist/main.js), as production does: a
 * project whose sources are newer than its last build is built first (`tsc -b`, incremental), so a test never runs
 * stale code. WALLET_RUN_FROM=source runs the TypeScript sources through tsx instead, and skips this.
 */
function ensureBuilt(): void {
  if (process.env['WALLET_RUN_FROM'] === 'source') return;
  const stale = ['packages', 'services'].flatMap((group) =>
    readdirSync(join(repoRoot, group))
      .map((name) => join(repoRoot, group, name))
      .filter((dir) => existsSync(join(dir, 'tsconfig.json')) && isStale(dir)),
  );
  if (stale.length === 0) return;
  process.stdout.write(`[globalSetup] building (tsc -b): ${stale.length} project(s) changed since their last build\n`);
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: repoRoot, stdio: 'inherit' });
}

function isStale(dir: string): boolean {
  const info = join(dir, 'dist', '.tsbuildinfo');
  if (!existsSync(info)) return true;
  const built = statSync(info).mtimeMs;
  const newer = (path: string): boolean =>
    readdirSync(path, { withFileTypes: true }).some((e) =>
      e.isDirectory()
        ? e.name !== 'node_modules' && e.name !== 'dist' && newer(join(path, e.name))
        : statSync(join(path, e.name)).mtimeMs > built,
    );
  return existsSync(join(dir, 'src')) && newer(join(dir, 'src'));
}
