import type { Logger } from '@wallet/logger';

/** Called at the named points where a crash matters; does nothing unless the point was enabled. */
export type CrashPoint = (name: string) => void;

/**
 * Crash points for the crash tests: at an enabled point the process kills itself with SIGKILL (as kill -9 would,
 * with no cleanup, no flushing, no rollback beyond what MySQL does for an uncommitted transaction), so a test can
 * kill a service at an exact place in the withdrawal pipeline. Enabled only through WALLET_CRASH_POINTS, which the
 * services refuse in the prod environment.
 * @param enabled names of the points to crash at
 */
export function crashPoints(enabled: ReadonlySet<string>, log: Logger): CrashPoint {
  if (enabled.size === 0) return () => {};
  return (name) => {
    if (!enabled.has(name)) return;
    log.fatal({ crashPoint: name }, 'crash point reached: SIGKILL');
    process.kill(process.pid, 'SIGKILL');
  };
}

/** The no-op crash point, for code paths and tests without crash points. */
export const noCrashPoints: CrashPoint = () => {};
