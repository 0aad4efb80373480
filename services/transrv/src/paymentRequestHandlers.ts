import { type AssetRegistry, PositiveBaseUnits } from '@wallet/assets';
import type { NodeDbs } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { ClientMetadata, IdempotencyKey, ObjectId, PageRequest, pageLimit } from '@wallet/ids';
import { type PaymentRequest, createPaymentRequest, getPaymentRequest, listPaymentRequests } from '@wallet/ledger';
import type { PaymentRequest as PaymentRequestRecord, TransServiceService } from '@wallet/proto';
import { type ServiceHandlers, parseRequest } from '@wallet/rpc';
import { z } from 'zod';
import type { AccountDirectory } from './accountDirectory.js';

// The client's payment requests over gRPC: created and listed on the account's node, read by id on any node. The rules
// are @wallet/ledger's (paymentRequests.ts); the gateway has checked the shapes already.

/** The longest a payment request or a red packet may stay open: 30 days. */
export const MAX_OPEN_SECONDS = 30 * 24 * 3600;

const Create = z.object({
  clientId: ObjectId,
  idempotencyKey: IdempotencyKey,
  requestHash: z.string().regex(/^[0-9a-f]{64}$/),
  accountId: ObjectId,
  asset: z.string().max(16),
  address: z.string().min(1).max(100),
  amount: PositiveBaseUnits,
  expiresInSeconds: z.number().int().min(60).max(MAX_OPEN_SECONDS),
  metadata: ClientMetadata.default({}),
});
const Get = z.object({ clientId: ObjectId, paymentRequestId: ObjectId });
const List = z.object({ clientId: ObjectId, accountId: ObjectId, page: PageRequest });

export function paymentRequestRecord(p: PaymentRequest): PaymentRequestRecord {
  return {
    id: p.id,
    accountId: p.accountId,
    asset: p.asset,
    chain: p.chain,
    address: p.address,
    amount: p.amount.toString(),
    received: p.received.toString(),
    lateReceived: p.lateReceived.toString(),
    status: p.status,
    latePayment: p.latePayment,
    metadata: { ...p.metadata },
    expiresAt: p.expiresAt.toISOString(),
    paidAt: p.paidAt?.toISOString() ?? '',
    expiredAt: p.expiredAt?.toISOString() ?? '',
    createdAt: p.createdAt.toISOString(),
  };
}

export function paymentRequestHandlers(deps: {
  readonly dbs: NodeDbs;
  readonly nodeId: string;
  readonly registry: AssetRegistry;
  readonly accounts: AccountDirectory;
}): Pick<ServiceHandlers<typeof TransServiceService>, 'createPaymentRequest' | 'getPaymentRequest' | 'listPaymentRequests'> {
  const { nodeId, registry, accounts } = deps;
  // Payment requests are global tables today; creating one also writes the shard's outbox (a census group of
  // docs/sharding.md), so it runs on the shard's pool.
  const { global, shard } = deps.dbs;
  return {
    createPaymentRequest: async (raw) => {
      const req = parseRequest(Create, raw);
      const chain = registry.asset(req.asset).chain;
      await accounts.require(req.accountId, nodeId, req.clientId);
      // The address must be one accountsrv derived for this account on the asset's chain: deposits to it are the
      // account's, so what pays the request is credited to the right account whatever happens to the request.
      const owned = await global('addresses')
        .where({ chain, address: req.address, account_id: req.accountId })
        .first<{ id: number } | undefined>('id');
      if (!owned) throw new WalletError('INTERNAL', 'the payment address is not an address of the account', { details: { chain } });
      const { paymentRequest, created } = await createPaymentRequest(shard, nodeId, { ...req, chain });
      return { paymentRequest: paymentRequestRecord(paymentRequest), created };
    },
    getPaymentRequest: async (raw) => {
      const req = parseRequest(Get, raw);
      return paymentRequestRecord(await getPaymentRequest(global, req.clientId, req.paymentRequestId));
    },
    listPaymentRequests: async (raw) => {
      const req = parseRequest(List, raw);
      await accounts.require(req.accountId, nodeId, req.clientId);
      const page = await listPaymentRequests(global, req.accountId, {
        limit: pageLimit(req.page?.limit),
        cursor: req.page?.cursor || undefined,
      });
      return { paymentRequests: page.paymentRequests.map(paymentRequestRecord), page: { nextCursor: page.nextCursor ?? '' } };
    },
  };
}
