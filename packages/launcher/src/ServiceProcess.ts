import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { killWithParent } from './parentDeathWatch.js';
import { repoRoot } from './repoRoot.js';
import type { ServiceName } from './serviceEnv.js';

/** How a service is run: its built entry point (`node services/<name>/dist/main.js`, as production runs it), or its
 * TypeScript sources through tsx (a developer's shortcut: WALLET_RUN_FROM=source). */
export type RunFrom = 'dist' | 'source';

export type StartOptions = {
  /** Where `<label>.log` (the raw JSON lines, and stderr) is appended. @default <repo>/.stack/logs/test */
  readonly logDir?: string;
  /** @default WALLET_RUN_FROM, else 'dist' */
  readonly from?: RunFrom;
  /**
   * Runs the process in a process group of its own, so a terminal's Ctrl-C reaches only the launcher, which then stops
   * each service once with SIGTERM (a service that gets SIGINT and then SIGTERM takes the second as "exit now").
   * @default false
   */
  readonly ownProcessGroup?: boolean;
  /**
   * A network namespace (`ip netns`) to run the process in, through `ip netns exec <netns> node ...`: `ip` execs node
   * in place, so the child's pid (signals, stop) is node's. Needs the privileges `ip netns exec` needs.
   * @default the launcher's own namespace
   */
  readonly netns?: string;
};

/** One parsed JSON log line of a service. */
export type LogLine = { level: number; msg: string; [key: string]: unknown };

type Waiter = { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void };

/**
 * A service running as a real OS process from its entry point, as ops run it. Its JSON log is parsed line by line
 * (the launcher and tests wait on log events) and appended to `<logDir>/<label>.log`.
 */
export class ServiceProcess {
  readonly label: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  #waiters: Waiter[] = [];
  #exitCode: number | null | undefined;

  private constructor(label: string, child: ChildProcess, file: WriteStream) {
    this.label = label;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.#exitCode = code ?? (signal ? null : code);
        resolve(code);
      });
    });
    // The log file is closed when the child's output ends, not when stop() returns: lines still in the
    // pipe would otherwise be written after the end.
    child.on('close', () => file.end());
    createInterface({ input: child.stdout! }).on('line', (text) => {
      if (!file.writableEnded) file.write(`${text}\n`);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    createInterface({ input: child.stderr! }).on('line', (text) => {
      if (!file.writableEnded) file.write(`[stderr] ${text}\n`);
      this.stderr.push(text);
    });
  }

  /**
   * Starts `service` with `env` layered over a clean environment (PATH and HOME only, so the developer's
   * shell cannot leak configuration into a test).
   */
  static start(service: ServiceName, label: string, env: Record<string, string>, options: StartOptions = {}): ServiceProcess {
    const dir = options.logDir ?? join(repoRoot, '.stack', 'logs', 'test');
    mkdirSync(dir, { recursive: true });
    const file = createWriteStream(join(dir, `${label}.log`), { flags: 'a' });
    // Profiling knob for benchmarks: WALLET_CPU_PROF_DIR=/tmp/prof writes a .cpuprofile per service on exit.
    const profile = process.env['WALLET_CPU_PROF_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['WALLET_CPU_PROF_DIR']}`] : [];
    const from = options.from ?? (process.env['WALLET_RUN_FROM'] === 'source' ? 'source' : 'dist');
    const args =
      from === 'dist'
        ? [...profile, join('services', service, 'dist', 'main.js')]
        : ['--conditions=wallet-source', ...profile, '--import', 'tsx', join('services', service, 'src', 'main.ts')];
    const [command, argv] =
      options.netns === undefined ? [process.execPath, args] : ['ip', ['netns', 'exec', options.netns, process.execPath, ...args]];
    const child = spawn(command, argv, {
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/root',
        // docs/sharding.md's census of transactions across the shard line (packages/db/src/placementTrace.ts)
        ...(process.env['WALLET_DB_TRACE_DIR'] ? { WALLET_DB_TRACE_DIR: process.env['WALLET_DB_TRACE_DIR'] } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    });
    killWithParent(child);
    return new ServiceProcess(label, child, file);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** Resolves with the first log line (past or future) matching `match`; rejects on exit or timeout. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.label}: no matching log line within ${timeoutMs} ms\n${this.tail()}`)),
        timeoutMs,
      );
      const waiter: Waiter = {
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.#waiters.push(waiter);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.label} exited (${code}) before the awaited log line\n${this.tail()}`));
      });
    });
  }

  /** Waits for the service's `ready` line. */
  ready(timeoutMs = 30_000): Promise<LogLine> {
    return this.waitForLog((l) => l.msg === 'ready', timeoutMs);
  }

  /** Sends a signal; with SIGTERM/SIGINT waits for the exit and returns its code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    if (!this.running) return this.#exitCode ?? null;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** The last log lines, for failure messages. */
  tail(n = 15): string {
    const out = this.lines.slice(-n).map((l) => JSON.stringify(l));
    return [...out, ...this.stderr.slice(-n)].join('\n');
  }
}
