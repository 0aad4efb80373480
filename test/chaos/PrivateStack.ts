import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnvilProcess, startAnvil } from '@wallet/testkit';
import { freePort } from '../harness/freePort.js';
import { PrivateLitecoind } from '../harness/PrivateLitecoind.js';
import { TcpProxy } from '../harness/TcpProxy.js';

/** A server process the campaign owns: it can kill it (SIGKILL) and start it again on the same port and data. */
class OwnedServer {
  #child: ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly ready: () => Promise<boolean>,
  ) {}

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    this.#child = child;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited (${child.exitCode}): ${stderr}`);
      if (await this.ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} did not get ready within 20 s: ${stderr}`);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

async function tcpOpen(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * The parts of the stack a campaign breaks, private to it so that nothing else on the machine notices: its own Redis
 * (no persistence, as the stack's), its own single-member etcd, its own anvil and litecoind (regtest, mined past the
 * MWEB activation), and a TCP proxy in front of each node that the services dial (to make the node slow or unreachable
 * for them alone; the campaign itself talks to the nodes directly). MySQL is the stack's server: the campaign
 * has a database and users of its own there and kills only its own users' sessions.
 */
export class PrivateStack {
  private constructor(
    readonly dir: string,
    readonly redis: OwnedServer,
    readonly redisPort: number,
    readonly etcd: OwnedServer,
    readonly etcdPort: number,
    readonly anvil: AnvilProcess,
    readonly anvilProxy: TcpProxy,
    readonly litecoind: PrivateLitecoind,
    readonly litecoindProxy: TcpProxy,
  ) {}

  static async start(): Promise<PrivateStack> {
    const dir = mkdtempSync(join(tmpdir(), 'wallet-chaos-'));
    const redisPort = await freePort();
    const redis = new OwnedServer(
      'redis',
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      () => tcpOpen(redisPort),
    );
    const etcdPort = await freePort();
    const peerPort = await freePort();
    const peer = `http://127.0.0.1:${peerPort}`;
    const client = `http://127.0.0.1:${etcdPort}`;
    const etcd = new OwnedServer(
      'etcd',
      'etcd',
      [
        '--name=chaos',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=chaos=${peer}`,
        '--log-level=error',
      ],
      async () => (await fetch(`${client}/health`)).ok,
    );
    await Promise.all([redis.start(), etcd.start()]);
    const anvil = await startAnvil({ chainId: 31337 });
    const anvilProxy = await TcpProxy.start('127.0.0.1', anvil.port);
    const litecoind = await PrivateLitecoind.launch();
    await litecoind.mineTo(450);
    const litecoindProxy = await TcpProxy.start('127.0.0.1', litecoind.rpcPort);
    return new PrivateStack(dir, redis, redisPort, etcd, etcdPort, anvil, anvilProxy, litecoind, litecoindProxy);
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  get etcdEndpoints(): string {
    return `http://127.0.0.1:${this.etcdPort}`;
  }

  /** The node as the services see it (through the proxy). */
  get servicesRpcUrl(): string {
    return this.anvilProxy.urlFor(this.anvil.rpcUrl);
  }

  /** The litecoind as the services see it (through its proxy; the URL carries the RPC credentials). */
  get servicesLtcRpcUrl(): string {
    return this.litecoindProxy.urlFor(this.litecoind.rpcUrl);
  }

  async stop(): Promise<void> {
    await this.anvilProxy.close();
    await this.litecoindProxy.close();
    await Promise.allSettled([this.redis.kill(), this.etcd.kill(), this.anvil.stop(), this.litecoind.destroy()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
