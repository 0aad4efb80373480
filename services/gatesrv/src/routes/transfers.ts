import { WalletError } from '@wallet/errors';
import { type ApiDocument, validationFailed } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { TransferView, transferView } from '../views.js';
import { ACCOUNT, SIGNED_POST } from './errorSets.js';
import { TransferBody } from './schemas.js';

/** Internal transfers between two accounts of one client (across transrv nodes too). */
export function transferRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'registry' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/transfers',
        summary: 'Move funds between two accounts of this client',
        description: 'Internal and instant: no chain transaction. Across transrv nodes the credit is delivered exactly once.',
        tags: ['transfers'],
        security: 'signature',
        body: TransferBody,
        responses: { 201: { description: 'Debited; `completed` once credited.', schema: TransferView } },
        errors: [...SIGNED_POST, ...ACCOUNT, 'UNSUPPORTED_ASSET', 'INSUFFICIENT_FUNDS'],
      },
      async ({ body }, request, reply) => {
        registry.asset(body.asset);
        if (body.from === body.to)
          throw validationFailed([{ field: 'body.to', message: 'from and to must differ' }], 'from and to must differ');
        const clientId = request.client.clientId;
        const [from, to] = await Promise.all([router.resolve(clientId, body.from), router.resolve(clientId, body.to)]);
        // Refuse up front when the receiver's node is down: debiting now would leave the value in transit.
        if (!shards.isLive(to.nodeId))
          throw new WalletError('SHARD_UNAVAILABLE', `transrv node ${to.nodeId} is unavailable`, { details: { nodeId: to.nodeId } });
        const claim = request.idempotency!;
        const { transfer, created } = await shards.call(from.nodeId, (c) =>
          c.transfer(
            {
              clientId,
              idempotencyKey: claim.key,
              requestHash: claim.hash,
              fromAccountId: body.from,
              toAccountId: body.to,
              toNodeId: to.nodeId,
              asset: body.asset,
              amount: body.amount.toString(),
            },
            { timeoutMs },
          ),
        );
        if (!transfer) throw new WalletError('INTERNAL', 'transrv returned no transfer');
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(transferView(transfer));
      },
    );
  };
}
