// What every benchmark script shares: the commit it measured, its worker processes, its memory and CPU samplers.
import { execSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../harness/repoRoot.js';

/** The checkout's short commit, recorded with each result ('unknown' outside git). */
export function gitCommit(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: repoRoot }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Runs a worker script next to `callerUrl` (`<name>.ts` under tsx, `.js` when compiled) with this process's loader
 * flags plus --expose-gc, the job as JSON in `env[envVar]`; its progress comes through on stderr. With `compiled`, the
 * worker is its build output (`test/dist/bench/<name>.js`, which `tsc -b` writes) run by plain node, its packages from
 * their `dist/` too, as a service runs in production: what its memory and CPU figures are meant to show (tsx compiling
 * the sources adds about 70 MB of RSS of its own).
 * @returns the last line it printed on stdout, parsed as JSON (its figures)
 */
export async function runWorker<R, J extends { readonly label: string } = { readonly label: string }>(
  callerUrl: string,
  name: string,
  envVar: string,
  job: J,
  options: { readonly compiled?: boolean } = {},
): Promise<R> {
  const self = fileURLToPath(callerUrl);
  const worker =
    options.compiled === true ? join(repoRoot, 'test', 'dist', 'bench', `${name}.js`) : join(self, '..', `${name}${extname(self)}`);
  const loader = options.compiled === true ? [] : process.execArgv;
  const child = spawn(process.execPath, [...loader, '--expose-gc', worker], {
    env: { ...process.env, [envVar]: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => (last = line));
  const code = await new Promise<number | null>((done) => child.once('close', done));
  if (code !== 0) throw new Error(`${name} (${job.label}) exited with ${String(code)}`);
  return JSON.parse(last) as R;
}

/** Samples this process's RSS and used heap every 100 ms until stopped. @returns the peaks, in bytes */
export function memoryPeaks(): { stop(): { rss: number; heapUsed: number } } {
  const peaks = { rss: 0, heapUsed: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    peaks.rss = Math.max(peaks.rss, m.rss);
    peaks.heapUsed = Math.max(peaks.heapUsed, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/**
 * A V8 CPU profile of what runs until stopped, written to `dir/<file>` (nothing when `dir` is undefined).
 * @returns stop(): the profile's path, or null
 */
export async function cpuProfiler(dir: string | undefined, file: string): Promise<{ stop(): Promise<string | null> }> {
  if (dir === undefined) return { stop: async () => null };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      const path = join(dir, file);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
      return path;
    },
  };
}
