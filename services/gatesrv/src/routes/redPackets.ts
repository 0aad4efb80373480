import { WalletError } from '@wallet/errors';
import type { ApiDocument } from '@wallet/http-edge';
import type { RedPacketClaim, RedPacket } from '@wallet/proto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { Amount, Timestamp } from '../views.js';
import { ACCOUNT, SIGNED, SIGNED_POST } from './errorSets.js';
import { ClaimRedPacketBody, CreateRedPacketBody, RedPacketMode } from './schemas.js';

export const RedPacketClaimView = z
  .object({
    redPacketId: z.string(),
    accountId: z.string(),
    amount: Amount,
    transferId: z.string().meta({ description: 'The internal transfer that paid the share (in your transfers list).' }),
    claimedAt: Timestamp,
  })
  .meta({ id: 'RedPacketClaim' });

export const RedPacketStatus = z.enum(['open', 'exhausted', 'expired']).meta({ id: 'RedPacketStatus' });

export const RedPacketView = z
  .object({
    id: z.string(),
    from: z.string(),
    asset: z.string(),
    total: Amount,
    count: z.number().int(),
    mode: RedPacketMode,
    claimedCount: z.number().int(),
    claimedAmount: Amount,
    refunded: Amount.meta({ description: 'What went back to `from` when it expired.' }),
    status: RedPacketStatus,
    expiresAt: Timestamp,
    finishedAt: Timestamp.nullable().meta({ description: 'When it was exhausted or expired.' }),
    createdAt: Timestamp,
    claims: z.array(RedPacketClaimView.omit({ redPacketId: true })).meta({ description: 'The claims so far, oldest first.' }),
  })
  .meta({ id: 'RedPacket' });

const RedPacketParams = z.object({ id: z.string().regex(/^rpk_[0-9A-Z]{26}$/, 'id must be a red packet id (rpk_...)') }).strict();

const claimView = (c: RedPacketClaim) => ({ accountId: c.accountId, amount: c.amount, transferId: c.transferId, claimedAt: c.claimedAt });
const view = (p: RedPacket): z.infer<typeof RedPacketView> => ({
  id: p.id,
  from: p.fromAccountId,
  asset: p.asset,
  total: p.total,
  count: p.count,
  mode: p.mode as 'equal' | 'random',
  claimedCount: p.claimedCount,
  claimedAmount: p.claimedAmount,
  refunded: p.refunded,
  status: p.status as z.infer<typeof RedPacketStatus>,
  expiresAt: p.expiresAt,
  finishedAt: p.finishedAt || null,
  createdAt: p.createdAt,
  claims: p.claims.map(claimView),
});

/** Red packets: a total frozen on one account, claimed in shares by the client's accounts (docs/api.md). */
export function redPacketRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'registry' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/red-packets',
        summary: 'Freeze a total on an account, to be claimed in shares by your accounts',
        tags: ['red packets'],
        security: 'signature',
        body: CreateRedPacketBody,
        responses: { 201: { description: 'The packet, `open`, its total frozen on `from`.', schema: RedPacketView } },
        errors: [...SIGNED_POST, ...ACCOUNT, 'UNSUPPORTED_ASSET', 'INSUFFICIENT_FUNDS'],
      },
      async ({ body }, request, reply) => {
        registry.asset(body.asset);
        const clientId = request.client.clientId;
        const route = await router.resolve(clientId, body.from);
        const claim = request.idempotency!;
        const { redPacket, created } = await shards.call(route.nodeId, (c) =>
          c.createRedPacket(
            {
              clientId,
              idempotencyKey: claim.key,
              requestHash: claim.hash,
              fromAccountId: body.from,
              asset: body.asset,
              total: body.total.toString(),
              count: body.count,
              mode: body.mode,
              expiresInSeconds: body.expiresIn,
            },
            { timeoutMs },
          ),
        );
        if (!redPacket) throw new WalletError('INTERNAL', 'transrv returned no red packet');
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(view(redPacket));
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/red-packets/:id',
        summary: 'Read a red packet and its claims',
        tags: ['red packets'],
        security: 'signature',
        params: RedPacketParams,
        responses: { 200: { description: 'The packet as it stands.', schema: RedPacketView } },
        errors: [...SIGNED, 'NOT_FOUND', 'SHARD_UNAVAILABLE'],
      },
      async ({ params }, request) =>
        view(
          await callAnyNode(shards, (c) =>
            c.getRedPacket({ clientId: request.client.clientId, redPacketId: params.id, withoutClaims: false }, { timeoutMs }),
          ),
        ),
    );

    api.route(
      app,
      {
        method: 'POST',
        path: '/red-packets/:id/claim',
        summary: "Claim an account's share of a red packet",
        description: 'Each account claims once. The share is paid to the account by an internal transfer.',
        tags: ['red packets'],
        security: 'signature',
        params: RedPacketParams,
        body: ClaimRedPacketBody,
        responses: { 201: { description: 'The claim: the share this account got.', schema: RedPacketClaimView } },
        errors: [...SIGNED_POST, ...ACCOUNT, 'NOT_FOUND', 'RED_PACKET_ALREADY_CLAIMED', 'RED_PACKET_EMPTY', 'RED_PACKET_EXPIRED'],
      },
      async ({ params, body }, request, reply) => {
        const clientId = request.client.clientId;
        const packet = await callAnyNode(shards, (c) =>
          c.getRedPacket({ clientId, redPacketId: params.id, withoutClaims: true }, { timeoutMs }),
        );
        const claimer = await router.resolve(clientId, body.accountId);
        const { claim, created } = await shards.call(packet.nodeId, (c) =>
          c.claimRedPacket(
            {
              clientId,
              redPacketId: params.id,
              accountId: body.accountId,
              accountNodeId: claimer.nodeId,
              idempotencyKey: request.idempotency!.key,
            },
            { timeoutMs },
          ),
        );
        if (!claim) throw new WalletError('INTERNAL', 'transrv returned no claim');
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send({ redPacketId: params.id, ...claimView(claim) });
      },
    );
  };
}
