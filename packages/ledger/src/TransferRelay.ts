import type { Knex } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { PeriodicTask } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import { type Transfer, completeTransfer, pendingTransfers, recordDeliveryFailure } from './transfers.js';

export type DeliverCredit = (transfer: Transfer) => Promise<void>;

export type TransferRelayOptions = {
  readonly db: Knex;
  readonly nodeId: string;
  /** Calls CreditTransfer on the receiving node; resolves once that node has committed the credit. */
  readonly deliver: DeliverCredit;
  readonly log: Logger;
  /** How often pending transfers are swept. @default 1000 */
  readonly intervalMs?: number;
};

/**
 * Delivers the credit leg of this node's cross-node transfers until each is acknowledged. State lives
 * in MySQL (transfers.status), so a restart resumes where it stopped; delivery is idempotent on the
 * receiving side, so delivering twice (inline and from the sweep, or after a crash between the credit
 * and the acknowledgement) posts one credit. The sweeps are a {@link PeriodicTask}: the first at start, then every
 * `intervalMs` after the previous one ended.
 */
export class TransferRelay {
  readonly #options: TransferRelayOptions;
  readonly #inFlight = new Set<string>();
  readonly #sweeps: PeriodicTask;
  #stopped = false;

  constructor(options: TransferRelayOptions) {
    this.#options = options;
    this.#sweeps = new PeriodicTask({
      name: 'transfer-sweep',
      log: options.log,
      intervalMs: options.intervalMs ?? 1000,
      // A restart resumes what it left at once.
      immediate: true,
      run: async () => {
        const pending = await pendingTransfers(options.db, options.nodeId);
        await Promise.all(pending.map((t) => this.deliver(t)));
      },
    });
  }

  start(): void {
    this.#sweeps.start();
  }

  /**
   * Delivers every pending transfer once, after the sweep running if any; failures stay pending for the next sweep.
   * Never rejects: a failed sweep is logged by the sweeps' task.
   */
  sweep(): Promise<void> {
    return this.#sweeps.kick();
  }

  /** Delivers one transfer now (used right after it is created, so the usual case completes at once). */
  async deliver(transfer: Transfer): Promise<boolean> {
    if (this.#inFlight.has(transfer.id) || this.#stopped) return false;
    this.#inFlight.add(transfer.id);
    try {
      await this.#options.deliver(transfer);
      await completeTransfer(this.#options.db, transfer.id);
      return true;
    } catch (error) {
      const reason = isWalletError(error) ? `${error.code}: ${error.message}` : String(error);
      this.#options.log.warn({ transferId: transfer.id, toNodeId: transfer.toNodeId, reason }, 'credit delivery failed; will retry');
      await recordDeliveryFailure(this.#options.db, transfer.id, reason).catch(() => {});
      return false;
    } finally {
      this.#inFlight.delete(transfer.id);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#sweeps.stop();
  }
}
