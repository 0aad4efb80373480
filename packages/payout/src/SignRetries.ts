/**
 * Approved withdrawals whose signing failed (node down, fees above the cap, a call that would revert), each backing
 * off on its own (1 s doubling up to 512 s, capped at 5 minutes) so one cannot hold up the others. In memory: after a
 * restart every approved withdrawal is tried at once again.
 */
export class SignRetries {
  readonly #retry = new Map<string, { failures: number; at: number }>();

  /**
   * @param ids candidates, in the order they should be tried
   * @param now this process's clock, in ms
   * @returns those due now (never failed, or their back-off has passed), in the same order
   */
  due(ids: readonly string[], now: number): string[] {
    return ids.filter((id) => (this.#retry.get(id)?.at ?? 0) <= now);
  }

  /** Records a failure at `now`: the next try waits 2^failures seconds (at most 300 s). */
  failed(id: string, now: number): void {
    const failures = (this.#retry.get(id)?.failures ?? 0) + 1;
    this.#retry.set(id, { failures, at: now + Math.min(300_000, 1000 * 2 ** Math.min(failures, 9)) });
  }

  /** Forgets a withdrawal: signed, or voided. */
  forget(id: string): void {
    this.#retry.delete(id);
  }
}
