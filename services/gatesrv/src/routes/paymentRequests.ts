import { createHash } from 'node:crypto';
import { WalletError } from '@wallet/errors';
import type { ApiDocument } from '@wallet/http-edge';
import type { PaymentRequest } from '@wallet/proto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { Amount, Timestamp, pageOf } from '../views.js';
import { ACCOUNT, SIGNED, SIGNED_POST } from './errorSets.js';
import { AccountParams, CreatePaymentRequestBody, ListQuery } from './schemas.js';

export const PaymentRequestStatus = z
  .enum(['pending', 'partially_paid', 'paid', 'overpaid', 'expired'])
  .meta({ id: 'PaymentRequestStatus' });

export const PaymentRequestView = z
  .object({
    id: z.string(),
    accountId: z.string(),
    asset: z.string(),
    chain: z.string(),
    address: z.string().meta({ description: 'A fresh deposit address of the account, given to this request alone.' }),
    amount: Amount,
    received: Amount.meta({ description: 'Credited payments the scanner saw on the address before `expiresAt`.' }),
    lateReceived: Amount.meta({ description: 'Credited payments it saw after `expiresAt`: credited to the account all the same.' }),
    status: PaymentRequestStatus,
    latePayment: z.boolean().meta({ description: 'Something was paid after the request expired (see `lateReceived`).' }),
    metadata: z.record(z.string(), z.string()),
    expiresAt: Timestamp,
    paidAt: Timestamp.nullable().meta({ description: 'When `received` first reached `amount`.' }),
    expiredAt: Timestamp.nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'PaymentRequest' });

const PaymentRequestParams = z.object({ id: z.string().regex(/^prq_[0-9A-Z]{26}$/, 'id must be a payment request id (prq_...)') }).strict();

const view = (p: PaymentRequest): z.infer<typeof PaymentRequestView> => ({
  id: p.id,
  accountId: p.accountId,
  asset: p.asset,
  chain: p.chain,
  address: p.address,
  amount: p.amount,
  received: p.received,
  lateReceived: p.lateReceived,
  status: p.status as z.infer<typeof PaymentRequestStatus>,
  latePayment: p.latePayment,
  metadata: p.metadata,
  expiresAt: p.expiresAt,
  paidAt: p.paidAt || null,
  expiredAt: p.expiredAt || null,
  createdAt: p.createdAt,
});

/**
 * The key under which accountsrv derives a request's address: the client's Idempotency-Key, hashed and prefixed so it
 * never meets a key the client used for `POST /addresses`, and a retry of the request gets the same address.
 */
const addressKey = (key: string): string => `prq:${createHash('sha256').update(key).digest('hex').slice(0, 56)}`;

/** Payment requests: an amount asked on a fresh address of an account, until a deadline (docs/api.md). */
export function paymentRequestRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'accountsrv' | 'registry' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/accounts/:id/payment-requests',
        summary: 'Ask to be paid an amount on a fresh address, until a deadline',
        description:
          'Derives a new deposit address of the account for this request alone. Every deposit on it is credited to the ' +
          'account; those the scanner sees before `expiresAt` count as `received`, later ones as `lateReceived` (flagged).',
        tags: ['payment requests'],
        security: 'signature',
        params: AccountParams,
        body: CreatePaymentRequestBody,
        responses: { 201: { description: 'The request, `pending`, with its address.', schema: PaymentRequestView } },
        errors: [...SIGNED_POST, ...ACCOUNT, 'UNSUPPORTED_ASSET', 'UNSUPPORTED_CHAIN'],
      },
      async ({ params, body }, request, reply) => {
        const asset = registry.asset(body.asset);
        const clientId = request.client.clientId;
        const route = await router.resolve(clientId, params.id);
        const claim = request.idempotency!;
        // The address first (idempotent under the derived key): a chain no scanner watches is refused here, before
        // anything is recorded.
        const address = await deps.accountsrv
          .pick()
          .createAddress({ clientId, accountId: params.id, chain: asset.chain, idempotencyKey: addressKey(claim.key) }, { timeoutMs });
        const { paymentRequest, created } = await shards.call(route.nodeId, (c) =>
          c.createPaymentRequest(
            {
              clientId,
              idempotencyKey: claim.key,
              requestHash: claim.hash,
              accountId: params.id,
              asset: body.asset,
              address: address.address,
              amount: body.amount.toString(),
              expiresInSeconds: body.expiresIn,
              metadata: body.metadata ?? {},
            },
            { timeoutMs },
          ),
        );
        if (!paymentRequest) throw new WalletError('INTERNAL', 'transrv returned no payment request');
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(view(paymentRequest));
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id/payment-requests',
        summary: "List an account's payment requests",
        tags: ['payment requests'],
        security: 'signature',
        params: AccountParams,
        query: ListQuery,
        responses: { 200: { description: 'Newest first.', schema: pageOf(PaymentRequestView, 'PaymentRequestPage') } },
        errors: [...SIGNED, ...ACCOUNT],
      },
      async ({ params, query }, request) => {
        const clientId = request.client.clientId;
        const route = await router.resolve(clientId, params.id);
        const page = await shards.call(route.nodeId, (c) =>
          c.listPaymentRequests(
            { clientId, accountId: params.id, page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' } },
            { timeoutMs },
          ),
        );
        return { data: page.paymentRequests.map(view), nextCursor: page.page?.nextCursor || null };
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/payment-requests/:id',
        summary: 'Read one payment request',
        tags: ['payment requests'],
        security: 'signature',
        params: PaymentRequestParams,
        responses: { 200: { description: 'The request as it stands.', schema: PaymentRequestView } },
        errors: [...SIGNED, 'NOT_FOUND', 'SHARD_UNAVAILABLE'],
      },
      async ({ params }, request) =>
        view(
          await callAnyNode(shards, (c) =>
            c.getPaymentRequest({ clientId: request.client.clientId, paymentRequestId: params.id }, { timeoutMs }),
          ),
        ),
    );
  };
}
