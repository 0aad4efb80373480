import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { LedgerEntryView, ledgerEntryView, pageOf } from '../views.js';
import { ACCOUNT, SIGNED } from './errorSets.js';
import { AccountParams, LedgerQuery } from './schemas.js';

/** An account's journal lines. */
export function ledgerRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'registry' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id/ledger',
        summary: "An account's ledger entries",
        tags: ['ledger'],
        security: 'signature',
        params: AccountParams,
        query: LedgerQuery,
        responses: { 200: { description: 'Newest first.', schema: pageOf(LedgerEntryView, 'LedgerPage') } },
        errors: [...SIGNED, ...ACCOUNT, 'UNSUPPORTED_ASSET'],
      },
      async ({ params, query }, request) => {
        if (query.asset) registry.asset(query.asset);
        const route = await router.resolve(request.client.clientId, params.id);
        const page = await shards.call(route.nodeId, (c) =>
          c.listLedger(
            { accountId: params.id, asset: query.asset ?? '', page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' } },
            { timeoutMs },
          ),
        );
        return { data: page.entries.map(ledgerEntryView), nextCursor: page.page?.nextCursor || null };
      },
    );
  };
}
