import type { Logger } from '@wallet/logger';
import { backoffMs } from './backoffMs.js';
import { FailureStreak } from './FailureStreak.js';

export type PeriodicTaskOptions = {
  /** Names the task in every line it logs (as `task`). */
  readonly name: string;
  readonly log: Logger;
  /** The wait between passes while they succeed (ms). */
  readonly intervalMs: number;
  /** One pass. A throw is a failure: logged as part of its streak, and the next pass backs off. */
  readonly run: () => Promise<unknown>;
  /**
   * After consecutive failures the next pass waits `min(maxBackoffMs, intervalMs × 2^failures)`, ±20 % jitter: a
   * dependency that is down is not hammered, and one that is back is not waited for long.
   * @default 30_000
   */
  readonly maxBackoffMs?: number;
  /**
   * Consecutive failures after which the streak is logged at error. Its first failure is logged at warn (once), and a
   * pass that succeeds after it at info ('recovered'): a retry that works needs nobody, a task that keeps failing does.
   * @default 6
   */
  readonly errorAfter?: number;
  /** Whether {@link PeriodicTask.start} runs the first pass at once (else `intervalMs` later). @default false */
  readonly immediate?: boolean;
};

/**
 * Runs a pass, then waits, then runs the next: the schedule is a chain of timeouts, so passes never overlap and a slow
 * pass delays the next instead of piling passes up behind it (as `setInterval` does). Between passes the task holds a
 * timer that keeps the process alive, like the servers it runs beside; {@link stop} clears it.
 *
 * The pass is what is periodic here, not its state: the jobs that use this read what to do from MySQL on each pass,
 * so a restart loses nothing and {@link kick} is only a hint to look sooner.
 */
export class PeriodicTask {
  readonly #o: PeriodicTaskOptions;
  readonly #streak: FailureStreak;
  #started = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** The pass running (undefined: none). */
  #running: Promise<void> | undefined;
  /** The pass kicked while one runs: it starts when that one ends, and every kick meanwhile shares it. */
  #queued: Promise<void> | undefined;

  constructor(options: PeriodicTaskOptions) {
    this.#o = options;
    this.#streak = new FailureStreak(options.log, { task: options.name }, 'periodic task', options.errorAfter ?? 6);
  }

  /** Starts the schedule (a second call does nothing). Passes kicked before it ran unscheduled. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    // A pass kicked before start schedules the next itself when it ends.
    if (this.#running === undefined && this.#queued === undefined) this.#schedule(this.#o.immediate ? 0 : this.#o.intervalMs);
  }

  /**
   * Asks for a pass soon: at once when none runs, else right after the running one. Kicks are coalesced: at most one
   * pass waits behind the running one, and every kick meanwhile shares it (it will see whatever they were about).
   * @returns resolves when that pass has ended (at once after {@link stop}); never rejects: a failure is the task's to log
   */
  kick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#queued !== undefined) return this.#queued;
    if (this.#running === undefined) return this.#pass();
    const queued = this.#running.then(() => {
      this.#queued = undefined;
      return this.#stopped ? undefined : this.#pass();
    });
    this.#queued = queued;
    return queued;
  }

  /** Stops the schedule and any queued pass; resolves once the running pass has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.#queued;
  }

  /** Consecutive failed passes (0: the last pass succeeded). */
  get failures(): number {
    return this.#streak.count;
  }

  #pass(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pass = this.#runOnce().then(() => {
      this.#running = undefined;
      // A queued pass runs next, and schedules the one after it when it ends.
      if (this.#queued === undefined) this.#schedule(this.#nextDelay());
    });
    this.#running = pass;
    return pass;
  }

  async #runOnce(): Promise<void> {
    try {
      await this.#o.run();
      this.#streak.succeeded();
    } catch (error) {
      this.#streak.failed(error);
    }
  }

  #nextDelay(): number {
    const { intervalMs, maxBackoffMs = 30_000 } = this.#o;
    const failures = this.#streak.count;
    return failures === 0 ? intervalMs : backoffMs(intervalMs, failures, maxBackoffMs);
  }

  #schedule(delayMs: number): void {
    if (!this.#started || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#pass();
    }, delayMs);
  }
}
