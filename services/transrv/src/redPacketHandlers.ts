import { type AssetRegistry, PositiveBaseUnits } from '@wallet/assets';
import type { NodeDbs } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { IdempotencyKey, NodeId, ObjectId } from '@wallet/ids';
import {
  MAX_RED_PACKET_COUNT,
  type RedPacket,
  type RedPacketClaim,
  type TransferRelay,
  claimRedPacket,
  createRedPacket,
  getRedPacket,
} from '@wallet/ledger';
import type { RedPacketClaim as ClaimRecord, RedPacket as RedPacketRecord, TransServiceService } from '@wallet/proto';
import { type ServiceHandlers, parseRequest } from '@wallet/rpc';
import { z } from 'zod';
import type { AccountDirectory } from './accountDirectory.js';
import { MAX_OPEN_SECONDS } from './paymentRequestHandlers.js';

// The client's red packets over gRPC: made and claimed on the sender's node, read by id on any node. The rules are
// @wallet/ledger's (redPackets.ts); the gateway has checked the shapes already.

const Create = z.object({
  clientId: ObjectId,
  idempotencyKey: IdempotencyKey,
  requestHash: z.string().regex(/^[0-9a-f]{64}$/),
  fromAccountId: ObjectId,
  asset: z.string().max(16),
  total: PositiveBaseUnits,
  count: z.number().int().min(1).max(MAX_RED_PACKET_COUNT),
  mode: z.enum(['equal', 'random']),
  expiresInSeconds: z.number().int().min(60).max(MAX_OPEN_SECONDS),
});
const Get = z.object({ clientId: ObjectId, redPacketId: ObjectId, withoutClaims: z.boolean().default(false) });
const Claim = z.object({
  clientId: ObjectId,
  redPacketId: ObjectId,
  accountId: ObjectId,
  accountNodeId: NodeId,
  idempotencyKey: IdempotencyKey,
});

const claimRecord = (c: RedPacketClaim): ClaimRecord => ({
  accountId: c.accountId,
  amount: c.amount.toString(),
  transferId: c.transferId,
  claimedAt: c.claimedAt.toISOString(),
});

function record(p: RedPacket, claims: readonly RedPacketClaim[] = []): RedPacketRecord {
  return {
    id: p.id,
    fromAccountId: p.fromAccountId,
    nodeId: p.nodeId,
    asset: p.asset,
    total: p.total.toString(),
    count: p.count,
    mode: p.mode,
    claimedCount: p.claimedCount,
    claimedAmount: p.claimedAmount.toString(),
    refunded: p.refunded.toString(),
    status: p.status,
    expiresAt: p.expiresAt.toISOString(),
    finishedAt: p.finishedAt?.toISOString() ?? '',
    createdAt: p.createdAt.toISOString(),
    claims: claims.map(claimRecord),
  };
}

export function redPacketHandlers(deps: {
  readonly dbs: NodeDbs;
  readonly nodeId: string;
  readonly registry: AssetRegistry;
  readonly accounts: AccountDirectory;
  readonly relay: TransferRelay;
}): Pick<ServiceHandlers<typeof TransServiceService>, 'createRedPacket' | 'getRedPacket' | 'claimRedPacket'> {
  const { nodeId, registry, accounts } = deps;
  // Red packets are global tables today; creating, claiming and refunding one moves the shard's money in the same
  // transaction (a census group of docs/sharding.md), so those run on the shard's pool.
  const { global, shard } = deps.dbs;
  return {
    createRedPacket: async (raw) => {
      const req = parseRequest(Create, raw);
      registry.asset(req.asset);
      await accounts.require(req.fromAccountId, nodeId, req.clientId);
      const { redPacket, created } = await createRedPacket(deps.dbs, nodeId, req);
      return { redPacket: record(redPacket), created };
    },
    getRedPacket: async (raw) => {
      const req = parseRequest(Get, raw);
      const { redPacket, claims } = await getRedPacket(global, req.clientId, req.redPacketId, !req.withoutClaims);
      return record(redPacket, claims);
    },
    claimRedPacket: async (raw) => {
      const req = parseRequest(Claim, raw);
      // The claimer must be the packet's client's account, bound where the gateway says.
      const claimer = await accounts.lookup(req.accountId);
      if (!claimer || claimer.clientId !== req.clientId || claimer.nodeId !== req.accountNodeId) {
        throw new WalletError('ACCOUNT_NOT_FOUND', 'no such account', { details: { accountId: req.accountId } });
      }
      const { claim, created, transfer } = await claimRedPacket(shard, nodeId, req);
      // Deliver a cross-node credit now, as a transfer's; if the other node is unreachable the relay keeps trying.
      if (transfer) await deps.relay.deliver(transfer);
      return { claim: claimRecord(claim), created };
    },
  };
}
