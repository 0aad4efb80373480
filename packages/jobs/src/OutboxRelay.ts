import type { Logger } from '@wallet/logger';
import { PeriodicTask } from './PeriodicTask.js';

/** Rows whose effect already shows are marked done instead of being delivered: both functions, or neither. */
type Settling<R> =
  | {
      /** Whether a row's effect already shows (its receiver applied it): then it is marked done, not delivered again. */
      readonly settled: (row: R) => boolean;
      /** Marks settled rows done, so they are not read again. */
      readonly markDone: (rows: readonly R[]) => Promise<void>;
    }
  | { readonly settled?: never; readonly markDone?: never };

export type OutboxRelayOptions<R> = Settling<R> & {
  /** Names the relay in its log lines (as `task`). */
  readonly name: string;
  readonly log: Logger;
  /** The wait between passes (ms). @default 250 */
  readonly intervalMs?: number;
  /** The longest wait after failed passes (ms): a relay is on the path of every message, so it is kept short. @default 5000 */
  readonly maxBackoffMs?: number;
  /** Rows read per pass. @default 500 */
  readonly batch?: number;
  /** The rows due now (their next send time has come), oldest first, at most `limit`. */
  readonly due: (limit: number) => Promise<readonly R[]>;
  /** Hands rows to their receiver (a Redis stream, a MySQL table, an HTTP endpoint). A throw fails the pass. */
  readonly deliver: (rows: readonly R[]) => Promise<void>;
  /**
   * Records that rows were delivered: for an outbox that re-sends until the effect shows, their send count and next
   * send time (see resendDelayMs); none for one whose delivery is final (e.g. rows moved into a table).
   */
  readonly reschedule?: (rows: readonly R[]) => Promise<void>;
};

/** What an outbox relay's metrics show (see {@link OutboxRelay.stats}). */
export type OutboxRelayStats = {
  readonly name: string;
  /** Rows found due at the last pass (at most the batch): the backlog, known without a query of its own. */
  readonly due: number;
  /** Consecutive failed passes. */
  readonly failures: number;
};

/**
 * The transactional outbox's sending half: rows written in the same MySQL transaction as the change they announce
 * are read when due, delivered, and rescheduled, by one {@link PeriodicTask}. What a row is, where it goes and when it
 * is done are the options'; so a lost message (Redis restarted empty), a receiver that was down or a crash between
 * commit and delivery only delays it. Delivery is at least once: receivers de-duplicate.
 *
 * A pass: `due` -> `settled` rows marked done -> the rest `deliver`ed -> `reschedule`d. A failure anywhere ends the
 * pass; the rows stay due and the next pass (backed off) sends them again.
 */
export class OutboxRelay<R> {
  readonly #o: OutboxRelayOptions<R>;
  readonly #task: PeriodicTask;
  #due = 0;

  constructor(options: OutboxRelayOptions<R>) {
    this.#o = options;
    this.#task = new PeriodicTask({
      name: options.name,
      log: options.log,
      intervalMs: options.intervalMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 5000,
      run: () => this.relayOnce(),
    });
  }

  /** Starts the passes (first one `intervalMs` after). */
  start(): void {
    this.#task.start();
  }

  /** A pass soon (after a commit that wrote rows), coalesced. {@link PeriodicTask.kick} */
  kick(): Promise<void> {
    return this.#task.kick();
  }

  /** Stops the passes, after the one running. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** Consecutive failed passes. */
  get failures(): number {
    return this.#task.failures;
  }

  /** Its name, the rows found due at the last pass and its consecutive failures (for metrics). */
  stats(): OutboxRelayStats {
    return { name: this.#o.name, due: this.#due, failures: this.#task.failures };
  }

  /**
   * One pass, outside the schedule (tests, tools): it may overlap a scheduled one, which only sends a row twice.
   * @param limit rows read at most
   * @returns rows delivered
   */
  async relayOnce(limit = this.#o.batch ?? 500): Promise<number> {
    const rows = await this.#o.due(limit);
    this.#due = rows.length;
    if (rows.length === 0) return 0;
    const { settled, markDone } = this.#o;
    let pending = rows;
    if (settled !== undefined && markDone !== undefined) {
      const done = rows.filter((r) => settled(r));
      if (done.length > 0) await markDone(done);
      pending = rows.filter((r) => !settled(r));
    }
    if (pending.length === 0) return 0;
    await this.#o.deliver(pending);
    await this.#o.reschedule?.(pending);
    return pending.length;
  }
}
