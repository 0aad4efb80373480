import { isWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';

export type Stop = () => Promise<void>;

/**
 * Runs a service process: starts it, then on SIGTERM/SIGINT runs its stop function once (stop
 * accepting, drain in-flight calls, deregister, close pools) and exits 0. A start-up failure exits 1
 * with one clear log line (a bad config names the variable); a second signal exits at once.
 *
 * @param log the process logger
 * @param start wires and starts the service, resolving to its stop function
 */
export function runMain(log: Logger, start: () => Promise<Stop>): void {
  let stopping = false;
  let stop: Stop | undefined;

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const done = stop ? stop() : Promise.resolve();
    done.then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('unhandledRejection', (reason) => {
    // A promise nobody awaited failed: state may be inconsistent in memory, so crash and let the
    // supervisor restart from MySQL, the source of truth.
    log.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });

  start().then(
    (s) => {
      stop = s;
      if (stopping) shutdown('SIGTERM');
    },
    (error: unknown) => {
      if (isWalletError(error, 'CONFIG_INVALID')) {
        // The message names each bad variable; print it plainly too, for humans starting the process by hand.
        log.fatal({ code: error.code, details: error.details }, error.message);
        process.stderr.write(`${error.message}\n`);
      } else {
        log.fatal({ err: error }, 'start-up failed');
      }
      process.exit(1);
    },
  );
}
