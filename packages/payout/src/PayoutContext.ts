import type { AssetRegistry } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import type { CrashPoint } from '@wallet/lifecycle';
import type { Redis } from 'ioredis';
import type { PayoutFamily } from './PayoutFamily.js';
import type { ResponseRelay } from './ResponseRelay.js';
import type { AuditFn } from './review/Audit.js';

/** What the parts of the payout desk share: storage, the chains' families, the blockout_rsp relay, the log. */
export type PayoutContext = {
  readonly db: Knex;
  readonly redis: Redis;
  /** The blockout_ctx hash key. */
  readonly ctxKey: string;
  readonly registry: AssetRegistry;
  /** Per chain id, the family signsrv pays out with on it. */
  readonly families: ReadonlyMap<string, PayoutFamily>;
  readonly relay: Pick<ResponseRelay, 'kick'>;
  readonly log: Logger;
  readonly crash: CrashPoint;
  /** Appends to the hash-chained audit log inside a transaction (decisions, signatures). */
  readonly audit: AuditFn;
};

/**
 * The family of a chain signsrv pays out on.
 * @throws WalletError UNSUPPORTED_CHAIN when it pays out on no such chain
 */
export function familyOf(ctx: Pick<PayoutContext, 'families'>, chainId: string): PayoutFamily {
  const family = ctx.families.get(chainId);
  if (!family) throw new WalletError('UNSUPPORTED_CHAIN', `signsrv does not pay out on ${chainId}`, { details: { chain: chainId } });
  return family;
}
