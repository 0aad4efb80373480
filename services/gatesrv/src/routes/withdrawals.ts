import { WalletError } from '@wallet/errors';
import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { WithdrawalView, pageOf, withdrawalView } from '../views.js';
import { WithdrawalListQuery, clientListFilter, pageRequest } from './clientLists.js';
import { ACCOUNT, SIGNED, SIGNED_POST } from './errorSets.js';
import { AccountParams, CreateWithdrawalBody, EmptyBody, ListQuery, WithdrawalParams } from './schemas.js';

const WithdrawalPage = pageOf(WithdrawalView, 'WithdrawalPage');

/** Withdrawals: request (funds frozen), list (an account's, the client's), read, cancel while pending review. */
export function withdrawalRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'registry' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/accounts/:id/withdrawals',
        summary: 'Request a withdrawal to an address on the asset’s chain',
        description: 'Freezes amount + fee and queues the withdrawal for review.',
        tags: ['withdrawals'],
        security: 'signature',
        params: AccountParams,
        body: CreateWithdrawalBody,
        responses: { 201: { description: 'Accepted: `pending_review`, funds frozen.', schema: WithdrawalView } },
        errors: [
          ...SIGNED_POST,
          ...ACCOUNT,
          'UNSUPPORTED_ASSET',
          'INVALID_ADDRESS',
          'INVALID_DESTINATION',
          'AMOUNT_TOO_SMALL',
          'INSUFFICIENT_FUNDS',
          'DUPLICATE_REFERENCE',
        ],
      },
      async ({ params, body }, request, reply) => {
        registry.asset(body.asset);
        const clientId = request.client.clientId;
        const route = await router.resolve(clientId, params.id);
        const claim = request.idempotency!;
        const { withdrawal, created } = await shards.call(route.nodeId, (c) =>
          c.createWithdrawal(
            {
              clientId,
              idempotencyKey: claim.key,
              requestHash: claim.hash,
              accountId: params.id,
              asset: body.asset,
              to: body.to,
              amount: body.amount.toString(),
              reference: body.reference ?? '',
              metadata: body.metadata ?? {},
            },
            { timeoutMs },
          ),
        );
        if (!withdrawal) throw new WalletError('INTERNAL', 'transrv returned no withdrawal');
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(withdrawalView(withdrawal, registry));
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id/withdrawals',
        summary: "An account's withdrawals",
        tags: ['withdrawals'],
        security: 'signature',
        params: AccountParams,
        query: ListQuery,
        responses: { 200: { description: 'Newest first.', schema: WithdrawalPage } },
        errors: [...SIGNED, ...ACCOUNT],
      },
      async ({ params, query }, request) => {
        const route = await router.resolve(request.client.clientId, params.id);
        const page = await shards.call(route.nodeId, (c) =>
          c.listWithdrawals({ accountId: params.id, page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' } }, { timeoutMs }),
        );
        return { data: page.withdrawals.map((w) => withdrawalView(w, registry)), nextCursor: page.page?.nextCursor || null };
      },
    );

    // By id alone: the gateway does not know the account, so any node reads it (and refuses another client's).
    api.route(
      app,
      {
        method: 'GET',
        path: '/withdrawals/:id',
        summary: 'Read a withdrawal',
        tags: ['withdrawals'],
        security: 'signature',
        params: WithdrawalParams,
        responses: { 200: { description: 'The withdrawal.', schema: WithdrawalView } },
        errors: [...SIGNED, 'NOT_FOUND', 'SHARD_UNAVAILABLE'],
      },
      async ({ params }, request) => {
        const clientId = request.client.clientId;
        return withdrawalView(
          await callAnyNode(shards, (c) => c.getWithdrawal({ clientId, withdrawalId: params.id }, { timeoutMs })),
          registry,
        );
      },
    );

    api.route(
      app,
      {
        method: 'POST',
        path: '/withdrawals/:id/cancel',
        summary: 'Cancel a withdrawal still pending review',
        tags: ['withdrawals'],
        security: 'signature',
        params: WithdrawalParams,
        // The contract's body is `{}`; no body at all says the same.
        body: EmptyBody,
        bodyOptional: true,
        responses: { 200: { description: 'Cancelled; the frozen funds are released.', schema: WithdrawalView } },
        errors: [...SIGNED_POST, 'NOT_FOUND', 'SHARD_UNAVAILABLE', 'WITHDRAWAL_NOT_CANCELLABLE'],
      },
      async ({ params }, request, reply) => {
        const clientId = request.client.clientId;
        // Any node finds it (NOT_FOUND for another client's); only its account's node may release the funds.
        const found = await callAnyNode(shards, (c) => c.getWithdrawal({ clientId, withdrawalId: params.id }, { timeoutMs }));
        const route = await router.resolve(clientId, found.accountId);
        // The key goes with it: transrv records it with the cancellation, so a retry after a lost answer (a timeout,
        // a dead gateway) gets the cancelled withdrawal again instead of WITHDRAWAL_NOT_CANCELLABLE.
        const idempotencyKey = request.idempotency?.key ?? '';
        const cancelled = await shards.call(route.nodeId, (c) =>
          c.cancelWithdrawal({ clientId, withdrawalId: params.id, idempotencyKey }, { timeoutMs }),
        );
        return reply.code(200).send(withdrawalView(cancelled, registry));
      },
    );

    // Any node answers, as for GET /withdrawals/:id: every transrv reads the one database today. With a database per
    // shard (a later issue) this becomes a scatter-gather over the nodes, merged by (createdAt, id).
    api.route(
      app,
      {
        method: 'GET',
        path: '/withdrawals',
        summary: "The client's withdrawals, all accounts",
        description:
          'By `createdAt` then `id`: newest first (`order=desc`, the default) or oldest first (`order=asc`). Filters: `account`, `asset`, `status`, `reference`, `since` (createdAt >= since), `until` (createdAt < until).',
        tags: ['withdrawals'],
        security: 'signature',
        query: WithdrawalListQuery,
        responses: { 200: { description: 'In the order asked for (newest first by default).', schema: WithdrawalPage } },
        errors: [...SIGNED, ...ACCOUNT],
      },
      async ({ query }, request) => {
        const filter = await clientListFilter(registry, router, request.client.clientId, query);
        const page = await callAnyNode(shards, (c) => c.listClientWithdrawals({ filter, page: pageRequest(query) }, { timeoutMs }));
        return { data: page.withdrawals.map((w) => withdrawalView(w, registry)), nextCursor: page.page?.nextCursor || null };
      },
    );
  };
}
