import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { DepositView, depositView, pageOf } from '../views.js';
import { DepositListQuery, clientListFilter, pageRequest } from './clientLists.js';
import { ACCOUNT, SIGNED } from './errorSets.js';
import { AccountParams, ListQuery } from './schemas.js';

const DepositPage = pageOf(DepositView, 'DepositPage');

/** Deposits: an account's, and the client's across its accounts. */
export function depositRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'registry' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id/deposits',
        summary: "An account's deposits",
        tags: ['deposits'],
        security: 'signature',
        params: AccountParams,
        query: ListQuery,
        responses: { 200: { description: 'Newest first.', schema: DepositPage } },
        errors: [...SIGNED, ...ACCOUNT],
      },
      async ({ params, query }, request) => {
        const route = await router.resolve(request.client.clientId, params.id);
        const page = await shards.call(route.nodeId, (c) =>
          c.listDeposits({ accountId: params.id, page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' } }, { timeoutMs }),
        );
        return { data: page.deposits.map((d) => depositView(d, registry)), nextCursor: page.page?.nextCursor || null };
      },
    );

    // Any node answers: every transrv reads the one database today. With a database per shard (a later issue) this
    // becomes a scatter-gather over the nodes, merged by (createdAt, id).
    api.route(
      app,
      {
        method: 'GET',
        path: '/deposits',
        summary: "The client's deposits, all accounts",
        description:
          'By `createdAt` then `id`: newest first (`order=desc`, the default) or oldest first (`order=asc`). Filters: `account`, `asset`, `status`, `since` (createdAt >= since), `until` (createdAt < until).',
        tags: ['deposits'],
        security: 'signature',
        query: DepositListQuery,
        responses: { 200: { description: 'In the order asked for (newest first by default).', schema: DepositPage } },
        errors: [...SIGNED, ...ACCOUNT],
      },
      async ({ query }, request) => {
        const filter = await clientListFilter(registry, router, request.client.clientId, query);
        const page = await callAnyNode(shards, (c) => c.listClientDeposits({ filter, page: pageRequest(query) }, { timeoutMs }));
        return { data: page.deposits.map((d) => depositView(d, registry)), nextCursor: page.page?.nextCursor || null };
      },
    );
  };
}
