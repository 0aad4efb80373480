import { WalletError } from '@wallet/errors';
import { type ApiDocument, validationFailed } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { TransferView, pageOf, transferView } from '../views.js';
import { TransferListQuery, clientListFilter, pageRequest } from './clientLists.js';
import { ACCOUNT, SIGNED, SIGNED_POST } from './errorSets.js';
import { TransferBody, TransferParams } from './schemas.js';

const TransferPage = pageOf(TransferView, 'TransferPage');

/** Internal transfers between two accounts of one client (across transrv nodes too): make, list, read. */
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
        errors: [...SIGNED_POST, ...ACCOUNT, 'UNSUPPORTED_ASSET', 'INSUFFICIENT_FUNDS', 'DUPLICATE_REFERENCE'],
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
              reference: body.reference ?? '',
              metadata: body.metadata ?? {},
            },
            { timeoutMs },
          ),
        );
        if (!transfer) throw new WalletError('INTERNAL', 'transrv returned no transfer');
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(transferView(transfer));
      },
    );

    // Any node answers both: every transrv reads the one database today. With a database per shard (a later issue)
    // the list becomes a scatter-gather over the nodes, merged by (createdAt, id), and a read by id asks each node.
    api.route(
      app,
      {
        method: 'GET',
        path: '/transfers',
        summary: "The client's transfers",
        description:
          'By `createdAt` then `id`: newest first (`order=desc`, the default) or oldest first (`order=asc`). Filters: `account` (either side), `asset`, `status`, `reference`, `since` (createdAt >= since), `until` (createdAt < until).',
        tags: ['transfers'],
        security: 'signature',
        query: TransferListQuery,
        responses: { 200: { description: 'In the order asked for (newest first by default).', schema: TransferPage } },
        errors: [...SIGNED, ...ACCOUNT],
      },
      async ({ query }, request) => {
        const filter = await clientListFilter(registry, router, request.client.clientId, query);
        const page = await callAnyNode(shards, (c) => c.listClientTransfers({ filter, page: pageRequest(query) }, { timeoutMs }));
        return { data: page.transfers.map(transferView), nextCursor: page.page?.nextCursor || null };
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/transfers/:id',
        summary: 'Read a transfer',
        tags: ['transfers'],
        security: 'signature',
        params: TransferParams,
        responses: { 200: { description: 'The transfer.', schema: TransferView } },
        errors: [...SIGNED, 'NOT_FOUND', 'SHARD_UNAVAILABLE'],
      },
      async ({ params }, request) => {
        const clientId = request.client.clientId;
        return transferView(await callAnyNode(shards, (c) => c.getClientTransfer({ clientId, transferId: params.id }, { timeoutMs })));
      },
    );
  };
}
