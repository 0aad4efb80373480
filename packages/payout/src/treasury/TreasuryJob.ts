import { PeriodicTask } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import type { Tiers } from './Tiers.js';

/** What the job runs per chain: a sender of approved moves (EVM; UTXO moves are the consolidation job's), a follower of refills. */
export type TreasuryChainJobs = {
  readonly moves?: { pass(): Promise<void>; close(): void };
  readonly refills?: { pass(): Promise<number> };
};

export type TreasuryJobOptions = {
  readonly log: Logger;
  /** Per chain: the sender of its approved moves and the follower of its refills. */
  readonly chains: ReadonlyMap<string, TreasuryChainJobs>;
  readonly tiers: Tiers;
};

/**
 * signsrv's treasury job: on each pass, the approved moves of every chain advance one step (signed, sent, followed to
 * their receipt), refills from cold are recognised, and the tiers are checked. A timer only wakes it: every decision
 * is read from MySQL on the pass, so a restart loses nothing and a pass killed half-way is simply run again.
 */
export class TreasuryJob {
  readonly #o: TreasuryJobOptions;
  /** The passes, from {@link start} on. */
  #passes: PeriodicTask | undefined;

  constructor(options: TreasuryJobOptions) {
    this.#o = options;
  }

  /** Records the tiers signsrv runs with (walletctl and the console show them). */
  init(): Promise<void> {
    return this.#o.tiers.init();
  }

  /** Runs a pass every `intervalMs` (the first that long after start). */
  start(intervalMs: number): void {
    this.#passes ??= new PeriodicTask({ name: 'treasury', log: this.#o.log, intervalMs, run: () => this.pass() });
    this.#passes.start();
  }

  /**
   * A pass soon, after the one running (passes never overlap; kicks meanwhile share one). Before {@link start} and after
   * {@link stop} the job is not running: nothing happens.
   */
  kick(): Promise<void> {
    return this.#passes?.kick() ?? Promise.resolve();
  }

  /** One pass. Never throws. */
  async pass(): Promise<void> {
    for (const [chain, job] of this.#o.chains) {
      await job.moves?.pass();
      try {
        await job.refills?.pass();
      } catch (error) {
        this.#o.log.warn({ err: error, chain }, 'following refills failed; retrying');
      }
    }
    await this.#o.tiers.pass();
  }

  async stop(): Promise<void> {
    await this.#passes?.stop();
    for (const job of this.#o.chains.values()) job.moves?.close();
  }
}
