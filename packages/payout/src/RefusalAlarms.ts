import { isWalletError } from '@wallet/errors';
import { AlertKind } from '@wallet/withdrawal-protocol';
import { type RefusalDetails, buildFailureDetails, sendRefusalDetails } from './refusalCause.js';

/** Codes that are not a refusal to alarm about: each raised its own alarm where it was found, or is an operator's hold. */
const NOT_REFUSALS = ['INTEGRITY_MISMATCH', 'CLIENT_DISABLED', 'INVALID_DESTINATION'] as const;

/** The two alarms of a withdrawal that does not go out. */
export type RefusalKind = typeof AlertKind.buildFailed | typeof AlertKind.sendRefused;

/**
 * `build_failed` (an approved withdrawal's transaction could not be built: the gas estimate fails, the hot wallet
 * cannot pay, fees above the cap, ...) and `send_refused` (the node refuses the signed transaction) alarms, each with
 * its cause (refusalCause.ts), at most one a minute per withdrawal and kind: the condition repeats on every pass of
 * the sender.
 */
export class RefusalAlarms {
  readonly #last = new Map<string, number>();

  /**
   * @param raise raises one alarm (a failure to raise it is ignored: the next refusal tries again)
   * @param now this process's clock in ms @default Date.now
   */
  constructor(
    private readonly raise: (kind: RefusalKind, withdrawalId: string, details: RefusalDetails) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Raises `build_failed` for `error` (nothing was signed), unless one was raised for the withdrawal in the last minute
   * or the error is not a refusal (see NOT_REFUSALS). Does not wait for the alarm to be written.
   */
  buildFailed(withdrawalId: string, error: unknown): void {
    this.#raise(AlertKind.buildFailed, withdrawalId, error, () => buildFailureDetails(error));
  }

  /**
   * Raises `send_refused` for the node's refusal of a signed transaction, as {@link buildFailed} does.
   * @param extra more details (the transaction's id and nonce)
   */
  sendRefused(withdrawalId: string, error: unknown, extra: Record<string, unknown> = {}): void {
    this.#raise(AlertKind.sendRefused, withdrawalId, error, () => ({ ...sendRefusalDetails(error), ...extra }));
  }

  #raise(kind: RefusalKind, withdrawalId: string, error: unknown, details: () => RefusalDetails): void {
    if (NOT_REFUSALS.some((code) => isWalletError(error, code))) return;
    const key = `${kind}:${withdrawalId}`;
    const last = this.#last.get(key);
    if (last !== undefined && this.now() - last < 60_000) return;
    this.#last.set(key, this.now());
    void this.raise(kind, withdrawalId, details()).catch(() => undefined);
  }
}
