import { createLogger } from '@wallet/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTask, type PeriodicTaskOptions } from './PeriodicTask.js';

// Fake timers: every wait is exact (jitter pinned to its middle), so each test can say when each pass ran.

type Line = { level: number; msg: string; task?: string; failures?: number };

let lines: Line[];
let now: () => number;

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  lines = [];
  const start = Date.now();
  now = () => Date.now() - start;
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const log = () => createLogger('jobs-test', { level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });

function task(run: () => Promise<unknown>, options: Partial<PeriodicTaskOptions> = {}): PeriodicTask {
  return new PeriodicTask({ name: 'sample', log: log(), intervalMs: 100, run, ...options });
}

/** A pass that ends when the test says so. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open = (): void => {};
  let promise = new Promise<void>((resolve) => (open = resolve));
  return {
    wait: () => promise,
    open: () => {
      open();
      promise = new Promise<void>((resolve) => (open = resolve));
    },
  };
}

describe('PeriodicTask', () => {
  it('runs a pass every intervalMs after the previous one ended, the first intervalMs after start; start twice is one schedule', async () => {
    const starts: number[] = [];
    const t = task(async () => {
      starts.push(now());
      await new Promise((r) => setTimeout(r, 30));
    });
    t.start();
    t.start();
    await vi.advanceTimersByTimeAsync(400);
    expect(starts).toEqual([100, 230, 360]);
    await t.stop();
  });

  it('immediate: the first pass at start', async () => {
    const starts: number[] = [];
    const t = task(async () => void starts.push(now()), { immediate: true });
    t.start();
    await vi.advanceTimersByTimeAsync(150);
    expect(starts).toEqual([0, 100]);
    await t.stop();
  });

  it('passes never overlap, however they are asked for', async () => {
    let running = 0;
    let most = 0;
    const t = task(
      async () => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 25));
        running--;
      },
      { intervalMs: 10 },
    );
    t.start();
    for (let i = 0; i < 20; i++) {
      void t.kick();
      await vi.advanceTimersByTimeAsync(7);
    }
    await vi.advanceTimersByTimeAsync(200);
    expect(most).toBe(1);
    const stopping = t.stop();
    await vi.advanceTimersByTimeAsync(25); // the pass running ends
    await stopping;
  });

  it('kicks are coalesced: one pass behind the running one, shared by every kick, resolved when it ended', async () => {
    const g = gate();
    let passes = 0;
    const t = task(async () => {
      passes++;
      await g.wait();
    });
    const first = t.kick();
    expect(passes).toBe(1);
    const [a, b, c] = [t.kick(), t.kick(), t.kick()];
    expect(a).toBe(b);
    expect(b).toBe(c);
    let ended = false;
    void a.then(() => (ended = true));
    g.open();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toBe(2);
    expect(ended).toBe(false);
    g.open();
    await a;
    expect(passes).toBe(2);
    // Not started: a kicked pass schedules nothing after it.
    await vi.advanceTimersByTimeAsync(1000);
    expect(passes).toBe(2);
  });

  it('a kick never rejects: a failing pass is the task’s to log', async () => {
    const t = task(() => Promise.reject(new Error('down')));
    await expect(t.kick()).resolves.toBeUndefined();
    expect(t.failures).toBe(1);
  });

  it('backs off after failures (doubling from intervalMs, capped) and returns to intervalMs after a success', async () => {
    const starts: number[] = [];
    let failuresLeft = 5;
    const t = task(
      async () => {
        starts.push(now());
        if (failuresLeft-- > 0) throw new Error('down');
      },
      { maxBackoffMs: 1000 },
    );
    t.start();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 1000 + 1000 + 100 + 100);
    const waits = starts.slice(1).map((s, i) => s - starts[i]!);
    expect(waits).toEqual([200, 400, 800, 1000, 1000, 100, 100]);
    expect(t.failures).toBe(0);
    await t.stop();
  });

  it('jitters the backoff by up to 20 % either way', async () => {
    const starts: number[] = [];
    const t = task(async () => {
      starts.push(now());
      throw new Error('down');
    });
    vi.mocked(Math.random).mockReturnValue(0);
    t.start();
    await vi.advanceTimersByTimeAsync(100); // fails: the next in 200 ms x 0.8
    vi.mocked(Math.random).mockReturnValue(1);
    await vi.advanceTimersByTimeAsync(160 + 480); // fails again: the next in 400 ms x 1.2
    expect(starts).toEqual([100, 260, 740]);
    await t.stop();
  });

  it('logs a streak once at warn, at error when it reaches errorAfter, and its end at info, each line naming the task', async () => {
    let failuresLeft = 4;
    const t = task(
      async () => {
        if (failuresLeft-- > 0) throw new Error('down');
      },
      { errorAfter: 3 },
    );
    for (let i = 0; i < 6; i++) await t.kick();
    expect(lines.map((l) => [l.level, l.msg, l.task, l.failures])).toEqual([
      [40, 'periodic task failed; retrying', 'sample', undefined],
      [50, 'periodic task keeps failing; retrying', 'sample', 3],
      [30, 'periodic task recovered', 'sample', 4],
    ]);
  });

  it('stop waits for the running pass; no pass runs after it, kicked or scheduled', async () => {
    const g = gate();
    let passes = 0;
    const t = task(async () => {
      passes++;
      await g.wait();
    });
    t.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toBe(1);
    const queued = t.kick();
    let stopped = false;
    const stopping = t.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(50);
    expect(stopped).toBe(false);
    g.open();
    await stopping;
    await queued;
    await t.kick();
    t.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(passes).toBe(1);
  });
});
