import type { Knex } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
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
 * and the acknowledgement) posts one credit.
 */
export class TransferRelay {
  readonly #options: TransferRelayOptions;
  readonly #inFlight = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;
  #stopped = false;

  constructor(options: TransferRelayOptions) {
    this.#options = options;
  }

  start(): void {
    const tick = (): void => {
      if (this.#stopped) return;
      this.#sweeping = this.sweep().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.intervalMs ?? 1000);
      });
    };
    tick();
  }

  /** Delivers every pending transfer once; failures stay pending for the next sweep. */
  async sweep(): Promise<void> {
    try {
      const pending = await pendingTransfers(this.#options.db, this.#options.nodeId);
      await Promise.all(pending.map((t) => this.deliver(t)));
    } catch (error) {
      this.#options.log.error({ err: error }, 'transfer sweep failed');
    }
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
    clearTimeout(this.#timer);
    await this.#sweeping;
  }
}
