import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { ReservesProofView, reservesProofView } from '../views.js';
import { ACCOUNT, SIGNED } from './errorSets.js';
import { AccountParams, ReservesProofQuery } from './schemas.js';

/** Proof of reserves: an account's inclusion proof in the latest report of an asset (docs/reserves.md). */
export function reservesRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'registry' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id/reserves-proof',
        summary: "An account's proof of reserves: its leaf in the latest report of an asset and the path to the root",
        tags: ['reserves'],
        security: 'signature',
        params: AccountParams,
        query: ReservesProofQuery,
        responses: { 200: { description: 'Verify it as docs/reserves.md says.', schema: ReservesProofView } },
        errors: [...SIGNED, ...ACCOUNT, 'UNSUPPORTED_ASSET', 'RESERVES_PROOF_NOT_FOUND'],
      },
      async ({ params, query }, request) => {
        registry.asset(query.asset);
        const route = await router.resolve(request.client.clientId, params.id);
        const proof = await shards.call(route.nodeId, (c) =>
          c.getReservesProof({ accountId: params.id, asset: query.asset }, { timeoutMs }),
        );
        return reservesProofView(params.id, proof);
      },
    );
  };
}
