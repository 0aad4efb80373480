/**
 * Keeps the campaign's EVM reorgs apart from everything else that makes anvil mine. anvil (1.7.1) is not consistent when
 * `anvil_reorg` runs while a transaction is being automined: about one canonical transaction in 300 then has a block
 * and a successful receipt but no effect on the state (its recipient's balance at that block and after is 0), and
 * transactions of dropped blocks are gone rather than back in the pool. `test/chaos/probes/anvilReorgProbe.ts` shows it
 * with anvil alone. A real chain has no such state, and the books check reads balances, so the campaign's reorgs take
 * this gate exclusively (the services' requests are held at the node's proxy meanwhile), while the harness's own sends
 * and mining take it shared.
 */
export class ChainGate {
  #shared = 0;
  #exclusive: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  /** Runs `fn` beside other shared users, never during an exclusive one. */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    this.#shared++;
    try {
      return await fn();
    } finally {
      this.#shared--;
      if (this.#shared === 0) this.#drained?.();
    }
  }

  /** Runs `fn` alone: waits for the shared users running to end, and holds new ones until it has ended. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    let done!: () => void;
    this.#exclusive = new Promise<void>((resolve) => (done = resolve));
    try {
      if (this.#shared > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      this.#drained = undefined;
      return await fn();
    } finally {
      this.#exclusive = undefined;
      done();
    }
  }
}
