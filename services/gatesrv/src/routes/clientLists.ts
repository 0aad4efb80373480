import type { AssetRegistry } from '@wallet/assets';
import { AssetId } from '@wallet/assets';
import { validationFailed } from '@wallet/http-edge';
import { ClientReference, ObjectId, UtcTimestamp } from '@wallet/ids';
import type { ClientListFilter } from '@wallet/proto';
import { z } from 'zod';
import type { AccountRouter } from '../AccountRouter.js';
import { DepositStatus, TransferStatus, WithdrawalStatus } from '../views.js';
import { ListQuery } from './schemas.js';

// The query of the client-wide lists (GET /v1/deposits, /v1/withdrawals, /v1/transfers) and its translation into
// transrv's ClientListFilter.

const Order = z.enum(['desc', 'asc']).meta({
  description: '`desc`: newest first (the default); `asc`: oldest first. A cursor continues only the order it was made in.',
});
const ClientListQuery = ListQuery.extend({
  account: ObjectId.optional().meta({ description: "One of your accounts (for transfers: either side); another's is ACCOUNT_NOT_FOUND." }),
  asset: AssetId.optional().meta({ description: 'A listed asset id.' }),
  since: UtcTimestamp.optional().meta({ description: 'createdAt >= since: ISO-8601 UTC, up to milliseconds (2024-12-04T12:00:00.000Z).' }),
  until: UtcTimestamp.optional().meta({ description: 'createdAt < until: ISO-8601 UTC, up to milliseconds.' }),
  order: Order.optional(),
});
const Reference = ClientReference.optional().meta({ description: 'Your reference: at most one object.' });

export const DepositListQuery = ClientListQuery.extend({ status: DepositStatus.optional() }).strict();
export const WithdrawalListQuery = ClientListQuery.extend({ status: WithdrawalStatus.optional(), reference: Reference }).strict();
export const TransferListQuery = ClientListQuery.extend({ status: TransferStatus.optional(), reference: Reference }).strict();

type Query = z.infer<typeof ClientListQuery> & { status?: string | undefined; reference?: string | undefined };

/**
 * The filter transrv lists with, from a validated query: the asset must be listed and `since` before `until`
 * (VALIDATION_FAILED otherwise), the account one of the client's (ACCOUNT_NOT_FOUND otherwise, as every route about an
 * account answers: another client's account is as absent as one that does not exist).
 * @throws WalletError VALIDATION_FAILED, ACCOUNT_NOT_FOUND
 */
export async function clientListFilter(
  registry: AssetRegistry,
  router: Pick<AccountRouter, 'resolve'>,
  clientId: string,
  query: Query,
): Promise<ClientListFilter> {
  if (query.asset !== undefined && !registry.assets.has(query.asset)) {
    throw validationFailed([{ field: 'query.asset', message: 'no such asset' }]);
  }
  if (query.since !== undefined && query.until !== undefined && new Date(query.since) >= new Date(query.until)) {
    throw validationFailed([{ field: 'query.until', message: 'until must be later than since' }]);
  }
  if (query.account !== undefined) await router.resolve(clientId, query.account);
  return {
    clientId,
    accountId: query.account ?? '',
    asset: query.asset ?? '',
    status: query.status ?? '',
    since: query.since ?? '',
    until: query.until ?? '',
    order: query.order ?? 'desc',
    reference: query.reference ?? '',
  };
}

/** The page part of a list request. */
export function pageRequest(query: { limit?: number | undefined; cursor?: string | undefined }) {
  return { limit: query.limit ?? 0, cursor: query.cursor ?? '' };
}
