import { PeriodicTask } from '@wallet/jobs';
import { findLedgerBreaks } from '@wallet/ledger';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import { type ReconcileDeps, ReconcileTrigger, type ReconciliationRun, reconcile } from './reconcile.js';

export type ReconcilerOptions = ReconcileDeps & {
  /** A pass this often (ms). */
  readonly intervalMs: number;
  /**
   * How often the journal is looked at for new settlements (deposits credited or reversed, withdrawals spent, network
   * fees booked): a pass of the assets they touched follows each batch, at most one per this interval (ms). 0: off.
   * @default 0
   */
  readonly settlementWatchMs?: number;
};

/** The journal kinds that settle something against the chain: a pass of their assets follows them. */
const SETTLEMENT_KINDS = ['deposit', 'deposit_reversal', 'withdrawal_spend', 'network_fee'] as const;

/**
 * signsrv's reconciliation job: a pass ({@link reconcile}) every `intervalMs`, driven by the clock only (the
 * figures and halts are in MySQL, so a restart loses nothing; a pass interrupted by kill -9 is simply run again).
 * Each pass first looks for breaks of the books (a journal that does not sum to zero, a negative balance) and raises
 * an alarm on each break the first time this process sees it.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #seen = new Set<string>();
  readonly #schedule: PeriodicTask;
  /** The settlement watch's looks (none when `settlementWatchMs` is 0). */
  readonly #watch: PeriodicTask | undefined;
  /** The last journal row the settlement watch has seen (undefined: not read yet). */
  #journalSeen: number | undefined;
  /** The pass running or last run, whatever asked for it: {@link run} queues behind it. */
  #running: Promise<unknown> = Promise.resolve();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#schedule = new PeriodicTask({
      name: 'reconciliation',
      log: options.log,
      intervalMs: options.intervalMs,
      // A failed pass is tried again on the clock, not sooner: a pass reads every balance.
      maxBackoffMs: options.intervalMs,
      run: () => this.run(ReconcileTrigger.schedule),
    });
    const watchMs = options.settlementWatchMs ?? 0;
    this.#watch =
      watchMs > 0
        ? new PeriodicTask({ name: 'settlement-watch', log: options.log, intervalMs: watchMs, run: () => this.afterSettlement() })
        : undefined;
  }

  /** Runs a pass every `intervalMs` (the first that long after start: a restart loop does not read every balance). */
  start(): void {
    this.#schedule.start();
    this.#watch?.start();
  }

  /**
   * Looks at the journal rows written since the last look (a range of its primary key, so the cost does not grow with
   * the journal) and, when some settled something against the chain, runs a pass of the assets they touched.
   * @returns the assets reconciled (empty: no settlement since the last look; the first look only sets the mark)
   */
  async afterSettlement(): Promise<string[]> {
    const { db } = this.#o;
    const top = Number((await db('journal').max<{ id: number | null }>('id as id').first())?.id ?? 0);
    const seen = this.#journalSeen;
    this.#journalSeen = top;
    if (seen === undefined || top <= seen) return [];
    const assets = await db('journal')
      .where('id', '>', seen)
      .andWhere('id', '<=', top)
      .whereIn('kind', [...SETTLEMENT_KINDS])
      .distinct()
      .pluck<string[]>('asset');
    if (assets.length === 0) return [];
    await this.run(ReconcileTrigger.settlement, assets);
    return assets;
  }

  /**
   * One pass, after the one running (passes never overlap, whether the schedule, the settlement watch or a caller asked).
   * @returns the figures per asset
   * @throws what failed the pass (the schedule and the watch log it, as their tasks' failures)
   */
  run(trigger: ReconcileTrigger, only?: readonly string[]): Promise<ReconciliationRun[]> {
    const pass = this.#running.then(async () => {
      await this.checkLedger();
      return reconcile(this.#o, trigger, only);
    });
    // The next pass waits for this one to end, not to succeed.
    this.#running = pass.catch(() => undefined);
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
    await Promise.all([this.#schedule.stop(), this.#watch?.stop()]);
    await this.#running;
  }
}
