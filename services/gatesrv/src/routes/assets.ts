import type { ApiDocument } from '@wallet/http-edge';
import type { GetServedChainsResponse } from '@wallet/proto';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { AssetView, type ChainService, assetView, listOf } from '../views.js';
import { SIGNED } from './errorSets.js';

/** How long the gateway keeps accountsrv's answer on what the deployment serves (it changes with a redeploy only). */
const SERVED_CHAINS_TTL_MS = 10_000;
/** How soon the gateway asks again after accountsrv did not answer (meanwhile it shows its last answer). */
const SERVED_CHAINS_RETRY_MS = 1_000;

/**
 * `GET /v1/assets`: the registry's assets, each with what this deployment serves of it. Deposits and withdrawals are
 * accountsrv's word (GetServedChains): it issues addresses only on chains a scanner watches, and reports the chains
 * transrv pays out on by transrv's rule; the gateway keeps the answer for {@link SERVED_CHAINS_TTL_MS}, and shows the
 * last one while accountsrv does not answer (503 only when it never did).
 */
export function assetRoutes(api: ApiDocument, deps: Pick<RouteDeps, 'registry' | 'accountsrv' | 'upstreamTimeoutMs'>): FastifyPluginAsync {
  const { registry, upstreamTimeoutMs: timeoutMs } = deps;
  let served: { readonly chains: ReadonlyMap<string, ChainService>; readonly until: number } | undefined;
  const servedChains = async (log: FastifyBaseLogger): Promise<ReadonlyMap<string, ChainService>> => {
    if (served === undefined || Date.now() >= served.until) {
      try {
        const answer: GetServedChainsResponse = await deps.accountsrv.pick().getServedChains({}, { timeoutMs });
        served = { chains: new Map(answer.chains.map((c) => [c.chain, c])), until: Date.now() + SERVED_CHAINS_TTL_MS };
      } catch (error) {
        // What a deployment serves changes with a redeploy only, and transrv and accountsrv enforce it whatever this
        // list says: the last answer is shown while accountsrv cannot be asked (asked again after a short pause).
        if (served === undefined) throw error;
        log.warn(
          { err: error, answerAgeMs: Date.now() - served.until + SERVED_CHAINS_TTL_MS },
          'served chains: accountsrv not answering; the last answer is shown',
        );
        served = { chains: served.chains, until: Date.now() + SERVED_CHAINS_RETRY_MS };
      }
    }
    return served.chains;
  };
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/assets',
        summary: 'List the assets this wallet serves, with what works for each',
        tags: ['assets'],
        security: 'signature',
        responses: {
          200: {
            description:
              'Every configured asset, by asset id ascending; `deposits`, `withdrawals` and `transfers` say what this deployment serves.',
            schema: listOf(AssetView, 'AssetList'),
          },
        },
        errors: SIGNED,
      },
      async (_input, request) => {
        const chains = await servedChains(request.log);
        return {
          data: registry.assetIds().map((id) => {
            const asset = registry.asset(id);
            // A chain accountsrv does not report (another registry than the gateway's) is not served.
            const service = chains.get(asset.chain) ?? { deposits: false, withdrawals: false };
            return assetView(asset, registry.chain(asset.chain), service);
          }),
        };
      },
    );
  };
}
