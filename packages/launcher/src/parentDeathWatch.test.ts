import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const module = fileURLToPath(new URL('./parentDeathWatch.ts', import.meta.url));

// A launcher: starts `count` sleeping children through killWithParent, ends the first `exitFirst` of them itself,
// prints every pid, then waits to be killed.
const launcher = (count: number, exitFirst: number): string => `
  import { spawn } from 'node:child_process';
  import { killWithParent } from ${JSON.stringify(module)};
  const children = [];
  for (let i = 0; i < ${count}; i++) {
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    killWithParent(child);
    children.push(child);
  }
  const ended = children.slice(0, ${exitFirst}).map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGKILL'); }));
  await Promise.all(ended);
  setTimeout(() => console.log(JSON.stringify(children.map((c) => c.pid))), 200);
  setInterval(() => undefined, 1000);
`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

async function startLauncher(count: number, exitFirst: number): Promise<{ kill: () => void; pids: number[] }> {
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', launcher(count, exitFirst)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: parent.stdout }).once('line', resolve);
    parent.once('exit', (code) => reject(new Error(`launcher exited (${code})`)));
  });
  const pids = JSON.parse(line) as number[];
  started.push(...pids, parent.pid!);
  return { kill: () => parent.kill('SIGKILL'), pids };
}

async function gone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

describe('killWithParent', () => {
  it('a launcher killed by SIGKILL takes the services it started with it', async () => {
    const { kill, pids } = await startLauncher(3, 0);
    expect(pids.every(alive)).toBe(true);
    kill();
    for (const pid of pids) expect(await gone(pid)).toBe(true);
  });

  it('a service that ended before the launcher died does not keep the others alive', async () => {
    const { kill, pids } = await startLauncher(2, 1);
    expect([alive(pids[0]!), alive(pids[1]!)]).toEqual([false, true]);
    kill();
    expect(await gone(pids[1]!)).toBe(true);
  });

  it('a living launcher leaves its services running', async () => {
    const { pids } = await startLauncher(1, 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(pids[0]!)).toBe(true);
  });
});
