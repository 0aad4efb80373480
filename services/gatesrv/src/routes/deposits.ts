import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { DepositView, depositView, pageOf } from '../views.js';
import { ACCOUNT, SIGNED } from './errorSets.js';
import { AccountParams, ListQuery } from './schemas.js';

/** An account's deposits. */
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
        responses: { 200: { description: 'Newest first.', schema: pageOf(DepositView, 'DepositPage') } },
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
  };
}
