import { toWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';

export type UntilAvailableOptions = {
  readonly log: Logger;
  /** What is waited for, in every line logged (e.g. `{ chain: 'eth' }`). */
  readonly context: Record<string, unknown>;
  /** Says what is waited for, in the lines logged (e.g. 'chain node'). */
  readonly what: string;
  /** The first wait, doubled after each failure up to {@link maxMs}. @default 1_000 */
  readonly baseMs?: number;
  /** @default 30_000 */
  readonly maxMs?: number;
};

/**
 * Runs `attempt` until it succeeds while it fails with a retryable error (a dependency down, unreachable or slow): for
 * a process that must not start without the dependency, but should wait it out rather than exit and be restarted in a
 * loop. A non-retryable failure (a configuration error, a node serving another chain) is thrown at once. The first
 * failure is logged at warn, one in each further minute at error, the success after failures at info; SIGTERM meanwhile
 * exits the process as during any start-up ({@link runMain}).
 * @returns what `attempt` returned
 * @throws the first non-retryable failure, as a WalletError
 */
export async function untilAvailable<T>(attempt: () => Promise<T>, options: UntilAvailableOptions): Promise<T> {
  const baseMs = options.baseMs ?? 1000;
  const maxMs = options.maxMs ?? 30_000;
  const { log, context, what } = options;
  let failures = 0;
  let loggedAt = 0;
  const since = Date.now();
  for (;;) {
    try {
      const result = await attempt();
      if (failures > 0) log.info({ ...context, failures, waitedMs: Date.now() - since }, `${what} answers: going on`);
      return result;
    } catch (error) {
      const walletError = toWalletError(error);
      if (!walletError.retryable) throw walletError;
      failures += 1;
      if (failures === 1) {
        log.warn({ ...context, err: walletError }, `${what} unavailable: waiting for it`);
        loggedAt = Date.now();
      } else if (Date.now() - loggedAt >= 60_000) {
        log.error({ ...context, err: walletError, failures, waitedMs: Date.now() - since }, `${what} still unavailable: waiting for it`);
        loggedAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30))));
    }
  }
}
