import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { AssetView, assetView, listOf } from '../views.js';
import { SIGNED } from './errorSets.js';

/** `GET /v1/assets`: the configured assets and their chains. */
export function assetRoutes(api: ApiDocument, deps: Pick<RouteDeps, 'registry'>): FastifyPluginAsync {
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/assets',
        summary: 'List the assets this wallet serves',
        tags: ['assets'],
        security: 'signature',
        responses: { 200: { description: 'Every configured asset, in configuration order.', schema: listOf(AssetView, 'AssetList') } },
        errors: SIGNED,
      },
      async () => ({ data: deps.registry.assetIds().map((id) => assetView(deps.registry.asset(id))) }),
    );
  };
}
