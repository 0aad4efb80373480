/** How much a delay may stray either way, so processes that failed together do not all retry in the same instant. */
const JITTER = 0.2;

/**
 * The wait before the next attempt after `failures` consecutive failures: doubling from `baseMs`, capped at `maxMs`,
 * with ±20 % jitter.
 * @param baseMs the wait of a healthy loop (doubled once per failure)
 * @param failures consecutive failures so far (1 after the first)
 * @param maxMs the cap, before jitter
 * @returns milliseconds
 */
export function backoffMs(baseMs: number, failures: number, maxMs: number): number {
  // 2^30 already overflows any sensible cap; the exponent is bounded so a long outage never reaches Infinity.
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
  return Math.round(delay * (1 - JITTER + Math.random() * 2 * JITTER));
}
