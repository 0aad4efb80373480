import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { killWithParent } from '@wallet/launcher';
import { freePort } from './freePort.js';
import { repoRoot } from './repoRoot.js';
import { waitFor } from './waitFor.js';

/** One gateway behind the balancer: its API address, and the port of the readiness check (`GET /readyz`). */
export type HaproxyServer = { readonly name: string; readonly address: string; readonly checkPort: number };

export type HaproxyOptions = {
  /** Names the log file `<label>.log` in `.stack/logs/test`. */
  readonly label: string;
  readonly servers: readonly HaproxyServer[];
  /** Health check interval; with `fall 2 rise 2` a server is marked down or up after two checks. @default 200 */
  readonly checkIntervalMs?: number;
};

/**
 * Debian's HAProxy (installed by deploy/local/stack.sh) as the load balancer in front of a test's gateways: bound to
 * a free port on 127.0.0.1, its config and admin socket in a temp dir, run in the foreground (`-db`) with its request
 * log on stdout, appended to `.stack/logs/test/<label>.log`.
 */
export class Haproxy {
  readonly url: string;
  readonly lines: string[] = [];
  readonly #dir: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  private constructor(url: string, dir: string, child: ChildProcess) {
    this.url = url;
    this.#dir = dir;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(options: HaproxyOptions): Promise<Haproxy> {
    const dir = mkdtempSync(join(tmpdir(), 'wallet-haproxy-'));
    const port = await freePort();
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig(port, join(dir, 'admin.sock'), options));
    const logDir = join(repoRoot, '.stack', 'logs', 'test');
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, `${options.label}.log`), { flags: 'a' });
    const child = spawn('haproxy', ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    killWithParent(child);
    child.on('close', () => log.end());
    const proxy = new Haproxy(`http://127.0.0.1:${port}`, dir, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        proxy.lines.push(line);
        if (!log.writableEnded) log.write(`${line}\n`);
      });
    }
    const failed = proxy.#exited.then((code) => {
      throw new Error(`haproxy exited (${code}) at start:\n${proxy.lines.slice(-20).join('\n')}`);
    });
    await Promise.race([failed, waitFor('haproxy admin socket', () => proxy.serverStatus().catch(() => undefined), 10_000)]);
    failed.catch(() => {});
    return proxy;
  }

  /** Each server's status as HAProxy sees it (`UP`, `DOWN`, `UP 1/2` while rising...), from the admin socket. */
  async serverStatus(): Promise<Record<string, string>> {
    const csv = await this.#admin('show stat');
    const [header = '', ...rows] = csv.split('\n').filter((l) => l !== '');
    const columns = header.replace(/^# /, '').split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((c) => columns.indexOf(c));
    const result: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[px!] === 'gatesrv' && cells[sv!] !== 'BACKEND') result[cells[sv!]!] = cells[status!]!;
    }
    return result;
  }

  /** Waits until HAProxy has `server` in `status` (`UP`: taking requests again; `DOWN`: out of rotation). */
  async waitServer(server: string, status: 'UP' | 'DOWN', timeoutMs = 15_000): Promise<void> {
    await waitFor(
      `haproxy server ${server} ${status}`,
      async () => ((await this.serverStatus())[server] === status ? true : undefined),
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      await this.#exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #admin(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let out = '';
      const socket = createConnection(join(this.#dir, 'admin.sock'), () => socket.end(`${command}\n`));
      socket.on('data', (chunk: Buffer) => (out += chunk.toString()));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
  }
}

function haproxyConfig(port: number, adminSocket: string, options: HaproxyOptions): string {
  const inter = options.checkIntervalMs ?? 200;
  return `global
  log stdout format raw local0 info
  stats socket ${adminSocket} mode 600 level admin

defaults
  mode http
  log global
  option httplog
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 10s
  # A request is sent again only when its connection to a gateway was never made (refused, failed): it never
  # reached one, so sending it elsewhere cannot apply a POST twice. Not empty-response, response-timeout or
  # all-retryable-errors: those resend requests a gateway may have received, and would hide a gateway that drops
  # requests while shutting down, which is what the test is there to catch.
  retries 2
  retry-on conn-failure
  option redispatch 1

frontend api
  bind 127.0.0.1:${port}
  default_backend gatesrv

backend gatesrv
  balance roundrobin
  # Readiness on the metrics port: 503 from the first moment of a gateway's shutdown (GATESRV_SHUTDOWN_DELAY_MS).
  option httpchk
  http-check send meth GET uri /readyz
  http-check expect status 200
  default-server check inter ${inter}ms fall 2 rise 2
${options.servers.map((s) => `  server ${s.name} ${s.address} port ${s.checkPort}`).join('\n')}
`;
}
