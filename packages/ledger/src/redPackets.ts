import { createHash, randomBytes } from 'node:crypto';
import { type Knex, type NodeDbs, isDuplicateKey, nodeDbs, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { EventType, appendEvents, redPacketEvent, transferCompletedEvent } from '@wallet/events';
import { newId } from '@wallet/ids';
import { LedgerKind, SystemAccount } from './accounts.js';
import { postEntry } from './postEntry.js';
import { type Transfer, TransferStatus } from './transfers.js';

// Red packets (issue 17): a sender freezes a total that the client's accounts claim in shares, each account once,
// until it expires; what nobody claimed goes back. The packet lives on the sender's node. Every claim is one MySQL
// transaction on that node that locks the packet row, takes the next unclaimed share, and posts it: to the claimer at
// once when it lives on the same node, otherwise into transit with a cross-node transfer that the TransferRelay
// delivers exactly once (creditTransfer). The shares are drawn when the packet is made, so a claim decides nothing
// random and a retry finds its own share.

export const RedPacketMode = { equal: 'equal', random: 'random' } as const;
export type RedPacketMode = (typeof RedPacketMode)[keyof typeof RedPacketMode];
export const RedPacketStatus = { open: 'open', exhausted: 'exhausted', expired: 'expired' } as const;
export type RedPacketStatus = (typeof RedPacketStatus)[keyof typeof RedPacketStatus];

/** The most shares a packet may have. */
export const MAX_RED_PACKET_COUNT = 1000;

export type RedPacketClaim = {
  readonly accountId: string;
  readonly amount: bigint;
  readonly transferId: string;
  readonly claimedAt: Date;
};

export type RedPacket = {
  readonly id: string;
  readonly clientId: string;
  readonly fromAccountId: string;
  readonly nodeId: string;
  readonly asset: string;
  readonly total: bigint;
  readonly count: number;
  readonly mode: RedPacketMode;
  readonly claimedCount: number;
  readonly claimedAmount: bigint;
  readonly refunded: bigint;
  readonly status: RedPacketStatus;
  readonly expiresAt: Date;
  readonly finishedAt: Date | null;
  readonly createdAt: Date;
};

type Row = {
  id: string;
  client_id: string;
  idempotency_key: string;
  request_hash: string;
  from_account_id: string;
  node_id: string;
  asset: string;
  total: string;
  count: number;
  mode: RedPacketMode;
  claimed_count: number;
  claimed_amount: string;
  refunded: string;
  status: RedPacketStatus;
  expires_at: Date;
  finished_at: Date | null;
  created_at: Date;
};

type ShareRow = {
  red_packet_id: string;
  idx: number;
  amount: string;
  account_id: string | null;
  claim_key: string | null;
  transfer_id: string | null;
  claimed_at: Date | null;
};

function fromRow(r: Row): RedPacket {
  return {
    id: r.id,
    clientId: r.client_id,
    fromAccountId: r.from_account_id,
    nodeId: r.node_id,
    asset: r.asset,
    total: BigInt(r.total),
    count: Number(r.count),
    mode: r.mode,
    claimedCount: Number(r.claimed_count),
    claimedAmount: BigInt(r.claimed_amount),
    refunded: BigInt(r.refunded),
    status: r.status,
    expiresAt: r.expires_at,
    finishedAt: r.finished_at,
    createdAt: r.created_at,
  };
}

const claimOf = (s: ShareRow): RedPacketClaim => ({
  accountId: s.account_id!,
  amount: BigInt(s.amount),
  transferId: s.transfer_id!,
  claimedAt: s.claimed_at!,
});

/** A uniform random bigint in [0, n), by rejection sampling over crypto-random bytes. */
function randomBelow(n: bigint): bigint {
  const bits = n.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    const r = BigInt(`0x${randomBytes(bytes).toString('hex')}`) & mask;
    if (r < n) return r;
  }
}

/**
 * The shares of `total` in `count` parts, each at least 1, summing to `total` exactly. `equal`: the total divided,
 * the remainder spread one base unit at a time. `random`: the gaps between `count - 1` distinct cut points drawn
 * uniformly from 1..total-1, which makes every position's share identically distributed (a claim's place in the
 * queue neither helps nor hurts). Both in a random order. @throws when total < count (a share would be zero)
 */
export function drawShares(total: bigint, count: number, mode: RedPacketMode): bigint[] {
  if (count < 1 || total < BigInt(count)) throw new Error('every share must be at least one base unit');
  let shares: bigint[];
  if (mode === RedPacketMode.equal) {
    const base = total / BigInt(count);
    const rest = Number(total % BigInt(count));
    shares = Array.from({ length: count }, (_, i) => base + (i < rest ? 1n : 0n));
  } else {
    const cuts = new Set<bigint>();
    while (cuts.size < count - 1) cuts.add(1n + randomBelow(total - 1n));
    const points = [0n, ...[...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), total];
    shares = points.slice(1).map((p, i) => p - points[i]!);
  }
  // Fisher-Yates with crypto randomness.
  for (let i = shares.length - 1; i > 0; i--) {
    const j = Number(randomBelow(BigInt(i + 1)));
    [shares[i], shares[j]] = [shares[j]!, shares[i]!];
  }
  return shares;
}

export type NewRedPacket = {
  readonly clientId: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly fromAccountId: string;
  readonly asset: string;
  readonly total: bigint;
  readonly count: number;
  readonly mode: RedPacketMode;
  readonly expiresInSeconds: number;
};

/**
 * Freezes the total on the sender's account and records the packet with its shares and `red_packet.created`, in one
 * transaction. Idempotent on (client, Idempotency-Key).
 * @throws WalletError VALIDATION_FAILED (total below count, count out of range), INSUFFICIENT_FUNDS,
 *   IDEMPOTENCY_KEY_REUSED
 */
export async function createRedPacket(
  dbs: Knex | NodeDbs,
  nodeId: string,
  req: NewRedPacket,
): Promise<{ redPacket: RedPacket; created: boolean }> {
  // Red packets are global tables today and creating one freezes the shard's money: the transaction runs on the
  // shard's pool (a census group of docs/sharding.md); the idempotency lookup is the global database's alone.
  const { global, shard: db } = nodeDbs(dbs);
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > MAX_RED_PACKET_COUNT) {
    throw new WalletError('VALIDATION_FAILED', `count must be 1 to ${MAX_RED_PACKET_COUNT}`, {
      details: { issues: [{ field: 'body.count', message: `count must be 1 to ${MAX_RED_PACKET_COUNT}` }] },
    });
  }
  if (req.total < BigInt(req.count)) {
    const message = 'total must be at least count base units: every share is at least one';
    throw new WalletError('VALIDATION_FAILED', message, { details: { issues: [{ field: 'body.total', message }] } });
  }
  const replay = async () => {
    const row = await global<Row>('red_packets').where({ client_id: req.clientId, idempotency_key: req.idempotencyKey }).first();
    if (!row) return undefined;
    if (row.request_hash !== req.requestHash)
      throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
    return { redPacket: fromRow(row), created: false };
  };
  const first = await replay();
  if (first) return first;
  const shares = drawShares(req.total, req.count, req.mode);
  try {
    return await withTransaction(db, async (trx) => {
      const id = newId('rpk');
      await trx('red_packets').insert({
        id,
        client_id: req.clientId,
        idempotency_key: req.idempotencyKey,
        request_hash: req.requestHash,
        from_account_id: req.fromAccountId,
        node_id: nodeId,
        asset: req.asset,
        total: req.total.toString(),
        count: req.count,
        mode: req.mode,
        status: RedPacketStatus.open,
        expires_at: trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND', [req.expiresInSeconds]),
      });
      await trx('red_packet_shares').insert(shares.map((amount, idx) => ({ red_packet_id: id, idx, amount: amount.toString() })));
      await postEntry(trx, {
        entryId: `${id}:freeze`,
        nodeId,
        refId: id,
        lines: [
          { accountId: req.fromAccountId, asset: req.asset, bucket: 'available', amount: -req.total, kind: LedgerKind.redPacketFreeze },
          { accountId: req.fromAccountId, asset: req.asset, bucket: 'frozen', amount: req.total, kind: LedgerKind.redPacketFreeze },
        ],
      });
      const row = (await trx<Row>('red_packets').where({ id }).first())!;
      await appendEvents(trx, [redPacketEvent(EventType.redPacketCreated, row)]);
      return { redPacket: fromRow(row), created: true };
    });
  } catch (error) {
    if (isDuplicateKey(error)) {
      const winner = await replay();
      if (winner) return winner;
    }
    throw error;
  }
}

/**
 * A client's red packet with its claims so far (another client's is as absent as one that does not exist).
 * @param withClaims false: the packet alone, claims empty (one row read instead of up to 1,000)
 */
export async function getRedPacket(
  db: Knex,
  clientId: string,
  id: string,
  withClaims = true,
): Promise<{ redPacket: RedPacket; claims: RedPacketClaim[] }> {
  const row = await db<Row>('red_packets').where({ id }).first();
  if (!row || row.client_id !== clientId) throw new WalletError('NOT_FOUND', 'no such red packet', { details: { redPacketId: id } });
  if (!withClaims) return { redPacket: fromRow(row), claims: [] };
  const shares = await db<ShareRow>('red_packet_shares')
    .where({ red_packet_id: id })
    .whereNotNull('account_id')
    .orderBy('claimed_at')
    .orderBy('idx');
  return { redPacket: fromRow(row), claims: shares.map(claimOf) };
}

export type ClaimRequest = {
  readonly clientId: string;
  readonly redPacketId: string;
  readonly accountId: string;
  /** The claimer's node (the caller checked the account is the client's and bound there). */
  readonly accountNodeId: string;
  readonly idempotencyKey: string;
};

/**
 * Claims the next share of an open packet for an account of the packet's client, once per account: in one
 * transaction that locks the packet, takes the lowest unclaimed share, and posts it out of the sender's frozen, to the
 * claimer (same node: completed, with `transfer.completed`) or into transit (another node: a pending transfer for the
 * relay); with `red_packet.claimed`, and `red_packet.exhausted` for the last share. A retry with the same key answers
 * the same claim (created false).
 * @returns the claim, whether this call made it, and the transfer to deliver when it crosses nodes
 * @throws WalletError NOT_FOUND, RED_PACKET_ALREADY_CLAIMED (this account, another key), RED_PACKET_EMPTY,
 *   RED_PACKET_EXPIRED
 */
export async function claimRedPacket(
  db: Knex,
  nodeId: string,
  req: ClaimRequest,
): Promise<{ claim: RedPacketClaim; created: boolean; transfer: Transfer | null }> {
  return withTransaction(db, async (trx) => {
    const row = await trx<Row>('red_packets').where({ id: req.redPacketId }).forUpdate().first();
    if (!row || row.client_id !== req.clientId || row.node_id !== nodeId) {
      throw new WalletError('NOT_FOUND', 'no such red packet', { details: { redPacketId: req.redPacketId } });
    }
    const mine = await trx<ShareRow>('red_packet_shares').where({ red_packet_id: row.id, account_id: req.accountId }).first();
    if (mine) {
      if (mine.claim_key === req.idempotencyKey) return { claim: claimOf(mine), created: false, transfer: null };
      throw new WalletError('RED_PACKET_ALREADY_CLAIMED', 'this account has already claimed its share of the red packet', {
        details: { redPacketId: row.id, accountId: req.accountId, amount: mine.amount },
      });
    }
    if (row.status === RedPacketStatus.exhausted) {
      throw new WalletError('RED_PACKET_EMPTY', 'every share of the red packet is claimed', { details: { redPacketId: row.id } });
    }
    if (row.status === RedPacketStatus.expired || row.expires_at.getTime() <= Date.now()) {
      throw new WalletError('RED_PACKET_EXPIRED', 'the red packet has expired', {
        details: { redPacketId: row.id, expiresAt: row.expires_at.toISOString() },
      });
    }
    const share = await trx<ShareRow>('red_packet_shares').where({ red_packet_id: row.id }).whereNull('account_id').orderBy('idx').first();
    if (!share) throw new WalletError('RED_PACKET_EMPTY', 'every share of the red packet is claimed', { details: { redPacketId: row.id } });
    const amount = BigInt(share.amount);
    const transferId = newId('tr');
    const sameNode = req.accountNodeId === nodeId;
    const key = `rpk:${row.id}:${share.idx}`;
    await trx('transfers').insert({
      id: transferId,
      client_id: row.client_id,
      idempotency_key: key,
      request_hash: createHash('sha256').update(key).digest('hex'),
      from_account_id: row.from_account_id,
      to_account_id: req.accountId,
      from_node_id: nodeId,
      to_node_id: req.accountNodeId,
      asset: row.asset,
      amount: amount.toString(),
      status: sameNode ? TransferStatus.completed : TransferStatus.pendingCredit,
      metadata: JSON.stringify({ redPacketId: row.id }),
      completed_at: sameNode ? trx.raw('CURRENT_TIMESTAMP(3)') : null,
    });
    await postEntry(trx, {
      entryId: `${row.id}:claim:${share.idx}`,
      nodeId,
      refId: transferId,
      lines: [
        { accountId: row.from_account_id, asset: row.asset, bucket: 'frozen', amount: -amount, kind: LedgerKind.redPacketClaim },
        sameNode
          ? { accountId: req.accountId, asset: row.asset, bucket: 'available', amount, kind: LedgerKind.transferIn }
          : { accountId: SystemAccount.transit, asset: row.asset, bucket: 'available', amount, kind: LedgerKind.redPacketClaim },
      ],
    });
    await trx('red_packet_shares')
      .where({ red_packet_id: row.id, idx: share.idx })
      .update({
        account_id: req.accountId,
        claim_key: req.idempotencyKey,
        transfer_id: transferId,
        claimed_at: trx.raw('CURRENT_TIMESTAMP(3)'),
      });
    const claimedCount = Number(row.claimed_count) + 1;
    const exhausted = claimedCount === Number(row.count);
    await trx('red_packets')
      .where({ id: row.id })
      .update({
        claimed_count: claimedCount,
        claimed_amount: (BigInt(row.claimed_amount) + amount).toString(),
        status: exhausted ? RedPacketStatus.exhausted : RedPacketStatus.open,
        finished_at: exhausted ? trx.raw('CURRENT_TIMESTAMP(3)') : null,
        updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
      });
    const after = (await trx<Row>('red_packets').where({ id: row.id }).first())!;
    const claimed = (await trx<ShareRow>('red_packet_shares').where({ red_packet_id: row.id, idx: share.idx }).first())!;
    const events = [redPacketEvent(EventType.redPacketClaimed, after, { accountId: req.accountId, amount, transferId })];
    if (exhausted) events.push(redPacketEvent(EventType.redPacketExhausted, after));
    if (sameNode) {
      events.push(
        transferCompletedEvent({
          id: transferId,
          clientId: row.client_id,
          nodeId,
          fromAccountId: row.from_account_id,
          toAccountId: req.accountId,
          asset: row.asset,
          amount,
          reference: null,
        }),
      );
    }
    await appendEvents(trx, events);
    const transfer: Transfer | null = sameNode
      ? null
      : {
          id: transferId,
          clientId: row.client_id,
          fromAccountId: row.from_account_id,
          toAccountId: req.accountId,
          fromNodeId: nodeId,
          toNodeId: req.accountNodeId,
          asset: row.asset,
          amount,
          status: TransferStatus.pendingCredit,
          withdrawalId: null,
          reference: null,
          metadata: { redPacketId: row.id },
          createdAt: claimed.claimed_at!,
          completedAt: null,
        };
    return { claim: claimOf(claimed), created: true, transfer };
  });
}

/**
 * Expires this node's open packets past their deadline: what nobody claimed goes back from the sender's frozen to its
 * available, with `red_packet.expired`, each in one transaction. Driven from MySQL: packets that fell due while the
 * node was down expire on its first pass. @returns how many expired
 */
export async function expireRedPackets(dbs: Knex | NodeDbs, nodeId: string, limit = 200): Promise<number> {
  const { global, shard: db } = nodeDbs(dbs);
  const due = await global<Row>('red_packets')
    .where({ node_id: nodeId, status: RedPacketStatus.open })
    .andWhere('expires_at', '<=', global.raw('CURRENT_TIMESTAMP(3)'))
    .orderBy('expires_at')
    .limit(limit)
    .select('id');
  let expired = 0;
  for (const { id } of due) {
    const done = await withTransaction(db, async (trx) => {
      const row = await trx<Row>('red_packets').where({ id }).forUpdate().first();
      if (!row || row.status !== RedPacketStatus.open) return false;
      const rest = BigInt(row.total) - BigInt(row.claimed_amount);
      if (rest > 0n) {
        await postEntry(trx, {
          entryId: `${id}:refund`,
          nodeId,
          refId: id,
          lines: [
            { accountId: row.from_account_id, asset: row.asset, bucket: 'frozen', amount: -rest, kind: LedgerKind.redPacketRefund },
            { accountId: row.from_account_id, asset: row.asset, bucket: 'available', amount: rest, kind: LedgerKind.redPacketRefund },
          ],
        });
      }
      await trx('red_packets')
        .where({ id })
        .update({
          status: RedPacketStatus.expired,
          refunded: rest.toString(),
          finished_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      await appendEvents(trx, [
        redPacketEvent(EventType.redPacketExpired, { ...row, status: RedPacketStatus.expired, refunded: rest.toString() }),
      ]);
      return true;
    });
    if (done) expired++;
  }
  return expired;
}
