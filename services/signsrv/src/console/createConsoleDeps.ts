import type { AssetRegistry } from '@wallet/assets';
import { appendAudit } from '@wallet/audit';
import { ConsoleAuth, type ConsoleAuthOptions } from '@wallet/console-auth';
import type { Knex } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import type { ConsoleDeps } from './ConsoleDeps.js';

/**
 * The console's dependencies as signsrv's main wires them: ConsoleAuth and every admin change write to the
 * hash-chained audit log (@wallet/audit's appendAudit, in the change's transaction).
 * @param options ConsoleAuth's (session expiry, clock) @default its defaults
 */
export function createConsoleDeps(
  input: { db: Knex; log: Logger; payouts: ConsoleDeps['payouts']; registry: AssetRegistry; treasuryApprovals?: number; fiat?: string },
  options: ConsoleAuthOptions = {},
): Omit<ConsoleDeps, 'ready'> {
  const log = input.log.child({ component: 'console' });
  return {
    auth: new ConsoleAuth({ db: input.db, log, audit: appendAudit }, options),
    db: input.db,
    payouts: input.payouts,
    registry: input.registry,
    audit: appendAudit,
    log,
    ...(input.treasuryApprovals === undefined ? {} : { treasuryApprovals: input.treasuryApprovals }),
    ...(input.fiat === undefined ? {} : { fiat: input.fiat }),
  };
}
