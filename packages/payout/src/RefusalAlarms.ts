import { isWalletError } from '@wallet/errors';

/** Codes that are not a refusal to alarm about: each raised its own alarm where it was found, or is an operator's hold. */
const NOT_REFUSALS = ['INTEGRITY_MISMATCH', 'CLIENT_DISABLED', 'INVALID_DESTINATION'] as const;

/**
 * `send_refused` alarms (a withdrawal's transaction could not be built or sent: it would revert, the node refuses it),
 * at most one a minute per withdrawal: the condition repeats on every pass of the sender.
 */
export class RefusalAlarms {
  readonly #last = new Map<string, number>();

  /**
   * @param raise raises one `send_refused` alarm (a failure to raise it is ignored: the next refusal tries again)
   * @param now this process's clock in ms @default Date.now
   */
  constructor(
    private readonly raise: (withdrawalId: string, details: Record<string, unknown>) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Raises the alarm for `error`, unless one was raised for the withdrawal in the last minute or the error is not a
   * refusal (see NOT_REFUSALS). Does not wait for the alarm to be written.
   * @param extra more details (the transaction's id and nonce)
   */
  refused(withdrawalId: string, error: unknown, extra: Record<string, unknown> = {}): void {
    if (NOT_REFUSALS.some((code) => isWalletError(error, code))) return;
    const last = this.#last.get(withdrawalId);
    if (last !== undefined && this.now() - last < 60_000) return;
    this.#last.set(withdrawalId, this.now());
    void this.raise(withdrawalId, {
      code: isWalletError(error) ? error.code : 'INTERNAL',
      reason: isWalletError(error) ? (error.details['reason'] ?? null) : null,
      message: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      ...extra,
    }).catch(() => undefined);
  }
}
