/** How a batch of withdrawals was signed: the error of each that failed, and when the sends of the others ended. */
export type BatchOutcome = {
  readonly errors: ReadonlyMap<string, unknown>;
  /** Settles once every signed transaction of the batch was sent or failed to be sent; never rejects. */
  readonly sent: Promise<void>;
};

/**
 * Signing requests gathered into batches: calls that arrive while a batch is being signed are signed together in the
 * next one (one lock of the nonce allocator and one commit for all of them), so concurrent approvals do not queue on
 * the allocator one by one. The next batch is signed while the previous one's transactions go to the node (their
 * inputs are already fixed); each caller hears back once its own transaction was sent.
 */
export class SigningQueue {
  readonly #waiting: { id: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #signing = false;

  /**
   * @param signBatch signs the distinct ids given (at most `maxBatch`) and starts sending them
   * @param maxBatch the most withdrawals per batch @default 100
   */
  constructor(
    private readonly signBatch: (ids: readonly string[]) => Promise<BatchOutcome>,
    private readonly maxBatch = 100,
  ) {}

  /**
   * Queues a withdrawal for signing.
   * @returns resolves once its transaction was signed and sent (or sending failed: the sender retries); rejects with
   * its own error when it was not signed
   */
  sign(withdrawalId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ id: withdrawalId, resolve, reject });
      if (!this.#signing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#signing = true;
    try {
      // Calls made together (in one loop, or one tick) are signed together: a UTXO batch is then one transaction.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.maxBatch);
        let outcome: BatchOutcome;
        try {
          outcome = await this.signBatch([...new Set(batch.map((b) => b.id))]);
        } catch (error) {
          outcome = { errors: new Map(batch.map((b) => [b.id, error])), sent: Promise.resolve() };
        }
        const { errors, sent } = outcome;
        void sent.then(() => {
          for (const b of batch) {
            if (errors.has(b.id)) b.reject(errors.get(b.id));
            else b.resolve();
          }
        });
      }
    } finally {
      this.#signing = false;
    }
  }
}
