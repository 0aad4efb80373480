import { findLedgerBreaks } from '@wallet/ledger';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import { type ReconcileDeps, ReconcileTrigger, type ReconciliationRun, reconcile } from './reconcile.js';

export type ReconcilerOptions = ReconcileDeps & {
  /** A pass this often (ms). */
  readonly intervalMs: number;
};

/**
 * signsrv's reconciliation job: a pass ({@link reconcile}) every `intervalMs`, driven by the clock only (the
 * figures and halts are in MySQL, so a restart loses nothing; a pass interrupted by kill -9 is simply run again).
 * Each pass first looks for breaks of the books (a journal that does not sum to zero, a negative balance) and raises
 * an alarm on each break the first time this process sees it.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #seen = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
  }

  /** Runs a pass every `intervalMs` (the first that long after start: a restart loop does not read every balance). */
  start(): void {
    this.#timer = setInterval(() => {
      if (!this.#stopped) void this.run(ReconcileTrigger.schedule).catch(() => undefined);
    }, this.#o.intervalMs);
  }

  /**
   * One pass, after the one running (passes never overlap).
   * @returns the figures per asset
   */
  run(trigger: ReconcileTrigger, only?: readonly string[]): Promise<ReconciliationRun[]> {
    const pass = this.#running.then(async () => {
      await this.checkLedger();
      return reconcile(this.#o, trigger, only);
    });
    this.#running = pass.catch((error: unknown) => this.#o.log.error({ err: error }, 'reconciliation pass failed; retried on the next'));
    return pass;
  }

  /** Alarms on every break of the books not alarmed by this process yet. @returns how many were new */
  async checkLedger(): Promise<number> {
    const { db, log } = this.#o;
    const breaks = await findLedgerBreaks(db);
    let raised = 0;
    for (const u of breaks.unbalanced) {
      const key = `j:${u.entryId ?? '*'}:${u.asset}:${u.sum}`;
      if (this.#seen.has(key)) continue;
      await raiseAlert(db, log, AlertKind.journalUnbalanced, null, { entryId: u.entryId, asset: u.asset, sum: u.sum.toString() });
      this.#seen.add(key);
      raised += 1;
    }
    for (const n of breaks.negative) {
      const key = `n:${n.accountId}:${n.asset}:${n.available}:${n.frozen}`;
      if (this.#seen.has(key)) continue;
      await raiseAlert(db, log, AlertKind.negativeBalance, null, {
        accountId: n.accountId,
        asset: n.asset,
        available: n.available.toString(),
        frozen: n.frozen.toString(),
      });
      this.#seen.add(key);
      raised += 1;
    }
    return raised;
  }

  /** Stops the schedule, after the pass running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }
}
