export type SourceLimiterOptions = {
  /** Attempts a source may make at once after a quiet period. */
  readonly burst: number;
  /** Attempts per second a source gets back. */
  readonly perSecond: number;
  /** Bound on tracked sources, so a flood from many addresses cannot grow memory without limit. */
  readonly maxSources: number;
  readonly now: () => number;
};

/**
 * In-process budget of authentication attempts that cost something (a credential lookup) or failed, per source
 * address: GCRA (see RateLimiter) with one timestamp per source. Per process on purpose: it guards this process's
 * lookups, needs no Redis round trip before deciding, and a flood spread over gateways meets one budget on each.
 *
 * The authenticator takes from it before a key lookup and gives back when the request then authenticates, so a
 * client's own valid requests never use up its address's budget; failures on cached keys take without asking.
 */
export class SourceLimiter {
  readonly #o: SourceLimiterOptions;
  readonly #intervalMs: number;
  readonly #windowMs: number;
  /** Per source, the theoretical arrival time of its next attempt (epoch ms). Insertion order = least recently used. */
  readonly #tat = new Map<string, number>();

  constructor(options: SourceLimiterOptions) {
    this.#o = options;
    this.#intervalMs = 1000 / options.perSecond;
    this.#windowMs = this.#intervalMs * options.burst;
  }

  /**
   * Takes one attempt from `source`'s budget if there is one.
   * @returns 0 when taken; otherwise milliseconds until one is available (nothing was taken)
   */
  take(source: string): number {
    const now = this.#o.now();
    const tat = Math.max(this.#tat.get(source) ?? now, now);
    const next = tat + this.#intervalMs;
    // 1 us of slack absorbs float rounding, so a burst of exactly `burst` always fits.
    if (next - now > this.#windowMs + 0.001) return Math.ceil(next - this.#windowMs - now);
    this.#set(source, next);
    return 0;
  }

  /** Takes one attempt whatever the budget (a failure that cost nothing to find, still counted against the source). */
  charge(source: string): void {
    const now = this.#o.now();
    const tat = Math.max(this.#tat.get(source) ?? now, now);
    this.#set(source, Math.min(tat + this.#intervalMs, now + this.#windowMs + this.#intervalMs));
  }

  /** Gives back one attempt taken by {@link take} (the request turned out to be valid). */
  refund(source: string): void {
    const tat = this.#tat.get(source);
    if (tat === undefined) return;
    const now = this.#o.now();
    const back = tat - this.#intervalMs;
    if (back <= now) this.#tat.delete(source);
    else this.#tat.set(source, back);
  }

  #set(source: string, tat: number): void {
    this.#tat.delete(source);
    if (this.#tat.size >= this.#o.maxSources) {
      const oldest = this.#tat.keys().next();
      if (oldest.done !== true) this.#tat.delete(oldest.value);
    }
    this.#tat.set(source, tat);
  }
}
