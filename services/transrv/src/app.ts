import { type AssetRegistry, PositiveBaseUnits } from '@wallet/assets';
import type { Db, NodeDbs } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import {
  ClientMetadata,
  ClientReference,
  IdempotencyKey,
  type ListOrder,
  NodeId,
  ObjectId,
  PageRequest,
  UtcTimestamp,
  pageLimit,
} from '@wallet/ids';
import {
  type DepositView,
  type Transfer,
  type TransferRelay,
  TransferStatus,
  createTransfer,
  creditTransfer,
  getBalances,
  getClientTransfer,
  getTransfer,
  listClientDeposits,
  listClientTransfers,
  listDeposits,
  listLedger,
} from '@wallet/ledger';
import { lastEventSeq, listEvents } from '@wallet/events';
import { freshFeeRate } from '@wallet/rates';
import type { DestinationPolicy } from '@wallet/webhooks';
import type { Logger } from '@wallet/logger';
import { type Metrics, grpcServerObserver } from '@wallet/metrics';
import { type Deposit, type TransferRecord, TransServiceService, type WithdrawalRecord } from '@wallet/proto';
import { type CrashPoint, instanceInfo, noCrashPoints } from '@wallet/lifecycle';
import { reserveProof } from '@wallet/reserve-reports';
import { GrpcServer, type ServiceHandlers, parseRequest } from '@wallet/rpc';
import {
  type WithdrawalView,
  cancelWithdrawal,
  createWithdrawal,
  getWithdrawal,
  internalCreditOf,
  listClientWithdrawals,
  listWithdrawals,
} from '@wallet/withdrawals';
import { withdrawalStatuses } from '@wallet/withdrawal-protocol';
import { z } from 'zod';
import type { AccountDirectory } from './accountDirectory.js';
import { webhookHandlers } from './webhookHandlers.js';
import type { SecretBox } from '@wallet/secret-box';
import { emailHandlers } from './emailHandlers.js';
import { paymentRequestHandlers } from './paymentRequestHandlers.js';
import { rateHandlers } from './rateHandlers.js';
import { redPacketHandlers } from './redPacketHandlers.js';
import { transCallers } from './transCallers.js';

export type TransrvDeps = {
  /** The process's metrics: gRPC calls served are recorded in them (absent: not recorded). */
  readonly metrics?: Metrics;
  readonly nodeId: string;
  readonly instanceId: string;
  readonly startedAt: Date;
  /**
   * The node's two databases (docs/sharding.md): each query goes to the one that holds its tables. A transaction that
   * still spans both (the census groups in docs/sharding.md) runs on `shard`, the database of the money it moves.
   */
  readonly dbs: NodeDbs;
  readonly log: Logger;
  readonly registry: AssetRegistry;
  readonly accounts: AccountDirectory;
  readonly relay: TransferRelay;
  /**
   * Chains whose withdrawals this node accepts: those with a node to scan (settlement needs the scanner's view of the
   * chain, and signsrv a node to pay with). Others are refused before anything is frozen. @default every chain
   */
  readonly payoutChains?: ReadonlySet<string>;
  /** Test-only crash points (see @wallet/withdrawals crashPoints). @default none */
  readonly crashPoint?: CrashPoint;
  /** Which webhook receivers clients may register (production: public https only). @default production's */
  readonly webhookPolicy?: DestinationPolicy;
  /** Seals and opens the webhook signing secrets (TRANSRV_SECRETS_KEK_FILE). */
  readonly secrets: SecretBox;
  /** Called after a request that may have appended client events committed (kicks the event sequencer). */
  readonly eventsAppended?: () => void;
  /** How old a fee rate sample may be and still price a withdrawal fee (2 x TRANSRV_FEE_RATES_MS). @default 2 h */
  readonly feeRateMaxAgeMs?: number;
  /** The refresh interval of fiat prices (TRANSRV_FIAT_RATES_MS), told to readers. @default 300_000 */
  readonly fiatRatesMs?: number;
};

const GetBalancesRequest = z.object({ accountId: ObjectId });
const ListLedgerRequest = z.object({ accountId: ObjectId, page: PageRequest, asset: z.string().max(16) });
const TransferRequest = z.object({
  clientId: ObjectId,
  idempotencyKey: IdempotencyKey,
  requestHash: z.string().regex(/^[0-9a-f]{64}$/),
  fromAccountId: ObjectId,
  toAccountId: ObjectId,
  toNodeId: NodeId,
  asset: z.string().max(16),
  amount: PositiveBaseUnits,
  // Empty: none (proto3 defaults).
  reference: z.union([z.literal(''), ClientReference]).default(''),
  metadata: ClientMetadata.default({}),
});
const CreditTransferRequest = z.object({
  transferId: ObjectId,
  fromNodeId: NodeId,
  toAccountId: ObjectId,
  asset: z.string().max(16),
  amount: PositiveBaseUnits,
  // Empty for a client's transfer (older senders leave it out).
  withdrawalId: z.union([z.literal(''), ObjectId]).default(''),
  // The internal withdrawal's chain and destination, checked by the paying node (empty from older senders).
  withdrawalChain: z.string().max(16).default(''),
  withdrawalAddress: z.string().max(128).default(''),
});
const GetTransferRequest = z.object({ transferId: ObjectId });
const ListDepositsRequest = z.object({ accountId: ObjectId, page: PageRequest });
const GetReservesProofRequest = z.object({ accountId: ObjectId, asset: z.string().max(16) });
const CreateWithdrawalRequest = z.object({
  clientId: ObjectId,
  idempotencyKey: IdempotencyKey,
  requestHash: z.string().regex(/^[0-9a-f]{64}$/),
  accountId: ObjectId,
  asset: z.string().max(16),
  // Checked against the asset's chain (format, checksum, network) by checkWithdrawalRequest; here only bounded.
  to: z.string().min(1).max(100),
  amount: PositiveBaseUnits,
  reference: z.union([z.literal(''), ClientReference]).default(''),
  metadata: ClientMetadata.default({}),
});
const ListWithdrawalsRequest = z.object({ accountId: ObjectId, page: PageRequest });
const WithdrawalByIdRequest = z.object({ clientId: ObjectId, withdrawalId: ObjectId });
const CancelWithdrawalRequest = z.object({
  clientId: ObjectId,
  withdrawalId: ObjectId,
  // Empty from a gateway that does not send it yet: the cancel is then not recorded under a key.
  idempotencyKey: z.union([z.literal(''), IdempotencyKey]).default(''),
});

/** The filters of a client-wide list; `statuses` are those of the listed kind. Empty fields do not filter. */
const clientListFilter = <S extends readonly [string, ...string[]]>(statuses: S) =>
  z.object({
    clientId: ObjectId,
    accountId: z.union([z.literal(''), ObjectId]),
    asset: z.string().max(16),
    status: z.union([z.literal(''), z.enum(statuses)]),
    since: z.union([z.literal(''), UtcTimestamp]),
    until: z.union([z.literal(''), UtcTimestamp]),
    order: z.enum(['', 'desc', 'asc']),
    reference: z.union([z.literal(''), ClientReference]),
  });
const clientListRequest = <S extends readonly [string, ...string[]]>(statuses: S) =>
  z.object({ filter: clientListFilter(statuses), page: PageRequest });
const ListClientDepositsRequest = clientListRequest(['pending', 'credited', 'orphaned', 'reversed'] as const);
const ListClientWithdrawalsRequest = clientListRequest(withdrawalStatuses as unknown as readonly [string, ...string[]]);
const ListClientTransfersRequest = clientListRequest(Object.values(TransferStatus) as [TransferStatus, ...TransferStatus[]]);
const GetClientTransferRequest = z.object({ clientId: ObjectId, transferId: ObjectId });
const ListEventsRequest = z.object({
  clientId: ObjectId,
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  limit: z.number().int().min(1).max(1000),
});

function toRecord(t: Transfer): TransferRecord {
  return {
    id: t.id,
    clientId: t.clientId,
    fromAccountId: t.fromAccountId,
    toAccountId: t.toAccountId,
    asset: t.asset,
    amount: t.amount.toString(),
    status: t.status,
    createdAt: t.createdAt.toISOString(),
    completedAt: t.completedAt?.toISOString() ?? '',
    reference: t.reference ?? '',
    metadata: { ...t.metadata },
  };
}

function toDeposit(d: DepositView): Deposit {
  return {
    id: d.id,
    asset: d.asset,
    chain: d.chain,
    address: d.address,
    txid: d.txid ?? '',
    outputIndex: d.outputIndex,
    amount: d.amount.toString(),
    blockNumber: String(d.blockNumber ?? 0),
    blockHash: d.blockHash ?? '',
    confirmations: d.confirmations,
    status: d.status,
    createdAt: d.createdAt.toISOString(),
    creditedAt: d.creditedAt?.toISOString() ?? '',
    internal: d.internal,
  };
}

function toWithdrawalRecord(w: WithdrawalView): WithdrawalRecord {
  return {
    id: w.id,
    clientId: w.clientId,
    accountId: w.accountId,
    chain: w.chain,
    asset: w.asset,
    to: w.to,
    amount: w.amount.toString(),
    fee: w.fee.toString(),
    status: w.status,
    txid: w.txid ?? '',
    confirmations: w.confirmations ?? -1,
    reason: w.reason ?? '',
    networkFee: w.networkFee?.toString() ?? '',
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
    internal: w.internal,
    ...(w.outputIndex === null ? {} : { outputIndex: w.outputIndex }),
    reference: w.reference ?? '',
    metadata: { ...w.metadata },
  };
}

/** The methods whose transaction may append client events (deposits and settlements append theirs elsewhere). */
const EVENT_WRITES = [
  'transfer',
  'creditTransfer',
  'createWithdrawal',
  'cancelWithdrawal',
  'createPaymentRequest',
  'createRedPacket',
  'claimRedPacket',
] as const;

/**
 * The handlers, each of {@link EVENT_WRITES} calling `kick` once it has answered (its transaction committed): the
 * event sequencer then moves the new events into the feed at once instead of at its next pass.
 */
function kickAfterWrites(
  handlers: ServiceHandlers<typeof TransServiceService>,
  kick: (() => void) | undefined,
): ServiceHandlers<typeof TransServiceService> {
  if (kick === undefined) return handlers;
  const out = { ...handlers };
  for (const name of EVENT_WRITES) {
    const handler = handlers[name] as (...args: unknown[]) => Promise<unknown>;
    (out as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const answer = await handler(...args);
      kick();
      return answer;
    };
  }
  return out;
}

/** Builds transrv's gRPC server without listening, so tests can drive it in-process. */
export function buildApp(deps: TransrvDeps): GrpcServer {
  const { dbs, nodeId, registry, accounts } = deps;
  const { global, shard } = dbs;
  /** The chain an internal withdrawal of `asset` was made on: the asset's own, or the credit is refused. */
  const assetChain = (asset: string, chain: string): string => {
    if (registry.asset(asset).chain !== chain) {
      throw new WalletError('VALIDATION_FAILED', `${asset} is not an asset of chain ${chain}`, { details: { field: 'withdrawalChain' } });
    }
    return chain;
  };
  const handlers: ServiceHandlers<typeof TransServiceService> = {
    getInfo: async () => instanceInfo('transrv', deps.instanceId, deps.startedAt, nodeId),

    getBalances: async (raw) => {
      const req = parseRequest(GetBalancesRequest, raw);
      await accounts.require(req.accountId, nodeId);
      const balances = await getBalances(shard, req.accountId, registry.assetIds());
      return {
        balances: balances.map((b) => ({
          asset: b.asset,
          available: b.available.toString(),
          frozen: b.frozen.toString(),
          pending: b.pending.toString(),
        })),
      };
    },

    listLedger: async (raw) => {
      const req = parseRequest(ListLedgerRequest, raw);
      await accounts.require(req.accountId, nodeId);
      if (req.asset !== '') registry.asset(req.asset);
      const page = await listLedger(shard, req.accountId, {
        limit: pageLimit(req.page?.limit),
        cursor: req.page?.cursor || undefined,
        asset: req.asset || undefined,
      });
      return {
        entries: page.lines.map((l) => ({
          id: l.id,
          asset: l.asset,
          bucket: l.bucket,
          amount: l.amount.toString(),
          kind: l.kind,
          refId: l.refId,
          balanceAfter: l.balanceAfter.toString(),
          createdAt: l.createdAt.toISOString(),
        })),
        page: { nextCursor: page.nextCursor ?? '' },
      };
    },

    transfer: async (raw) => {
      const req = parseRequest(TransferRequest, raw);
      registry.asset(req.asset);
      // Both accounts must be this client's; the receiver's node is checked against its binding.
      await accounts.require(req.fromAccountId, nodeId, req.clientId);
      const to = await accounts.lookup(req.toAccountId);
      if (!to || to.clientId !== req.clientId || to.nodeId !== req.toNodeId) {
        throw new WalletError('ACCOUNT_NOT_FOUND', 'no such account', { details: { accountId: req.toAccountId } });
      }
      const result = await createTransfer(shard, nodeId, { ...req, reference: req.reference || undefined });
      let transfer = result.transfer;
      // Deliver the credit now so the usual cross-node transfer completes within the request; if the
      // other node is unreachable the relay keeps trying, and the client sees pending_credit.
      if (transfer.status === 'pending_credit' && (await deps.relay.deliver(transfer))) {
        transfer = { ...transfer, status: 'completed', completedAt: new Date() };
      }
      return { transfer: toRecord(transfer), created: result.created };
    },

    creditTransfer: async (raw) => {
      const req = parseRequest(CreditTransferRequest, raw);
      registry.asset(req.asset);
      await accounts.require(req.toAccountId, nodeId);
      const { withdrawalId, withdrawalChain, withdrawalAddress, ...credit } = req;
      // An internal withdrawal's credit, recorded as the receiver's deposit. Its paying node checked it against its
      // confirmed withdrawal and sends the chain and address; a sender that predates them leaves them empty, and the
      // withdrawal row is checked here (one database for every node: the payer's row is readable from here).
      const deposit =
        withdrawalId === ''
          ? undefined
          : withdrawalChain !== '' && withdrawalAddress !== ''
            ? { withdrawalId, chain: assetChain(req.asset, withdrawalChain), address: withdrawalAddress }
            : await internalCreditOf(shard, { ...credit, withdrawalId });
      const credited = await creditTransfer(shard, nodeId, { ...credit, deposit });
      // Committed, not yet acknowledged: the sender must deliver again and be answered without a second credit.
      if (deposit) (deps.crashPoint ?? noCrashPoints)('transrv.internal_credit.after_commit');
      return credited;
    },

    listDeposits: async (raw) => {
      const req = parseRequest(ListDepositsRequest, raw);
      await accounts.require(req.accountId, nodeId);
      const page = await listDeposits(shard, req.accountId, { limit: pageLimit(req.page?.limit), cursor: req.page?.cursor || undefined });
      return { deposits: page.deposits.map(toDeposit), page: { nextCursor: page.nextCursor ?? '' } };
    },

    createWithdrawal: async (raw) => {
      const req = parseRequest(CreateWithdrawalRequest, raw);
      const chain = registry.asset(req.asset).chain;
      if (deps.payoutChains !== undefined && !deps.payoutChains.has(chain)) {
        // No node for the chain in this deployment: nothing could pay it or see it paid.
        throw new WalletError('UNSUPPORTED_ASSET', `withdrawals of ${req.asset} are not served by this deployment`, {
          details: { asset: req.asset, chain, reason: 'chain_not_served' },
        });
      }
      await accounts.require(req.accountId, nodeId, req.clientId);
      // An asset whose fee follows the network's: the chain's latest fresh sample prices it (none: the fixed fee).
      const networkFeeRate = registry.asset(req.asset).feeFromRates
        ? await freshFeeRate(global, chain, deps.feeRateMaxAgeMs ?? 2 * 3_600_000)
        : undefined;
      const { withdrawal, created } = await createWithdrawal(dbs, nodeId, registry, {
        ...req,
        reference: req.reference || undefined,
        networkFeeRate,
      });
      (deps.crashPoint ?? noCrashPoints)('transrv.withdrawal.after_freeze');
      // Confirmations are not computed here: the create answer does not show them, and a new one has no transaction.
      return { withdrawal: toWithdrawalRecord({ ...withdrawal, confirmations: null }), created };
    },

    listWithdrawals: async (raw) => {
      const req = parseRequest(ListWithdrawalsRequest, raw);
      await accounts.require(req.accountId, nodeId);
      const page = await listWithdrawals(shard, req.accountId, {
        limit: pageLimit(req.page?.limit),
        cursor: req.page?.cursor || undefined,
      });
      return { withdrawals: page.withdrawals.map(toWithdrawalRecord), page: { nextCursor: page.nextCursor ?? '' } };
    },

    // Any node answers from the shared database: the gateway knows the withdrawal id, not yet its account.
    getWithdrawal: async (raw) => {
      const req = parseRequest(WithdrawalByIdRequest, raw);
      const withdrawal = await getWithdrawal(shard, req.withdrawalId);
      // Another client's withdrawal is as absent as one that does not exist.
      if (!withdrawal || withdrawal.clientId !== req.clientId) {
        throw new WalletError('NOT_FOUND', 'no such withdrawal', { details: { withdrawalId: req.withdrawalId } });
      }
      return toWithdrawalRecord(withdrawal);
    },

    cancelWithdrawal: async (raw) => {
      const req = parseRequest(CancelWithdrawalRequest, raw);
      // A retry of a cancel that took effect (same key) answers with the cancelled withdrawal again.
      const { withdrawal } = await cancelWithdrawal(shard, nodeId, req.clientId, req.withdrawalId, req.idempotencyKey);
      // Cancelled before review, so it never had a transaction to confirm.
      return toWithdrawalRecord({ ...withdrawal, confirmations: null });
    },

    getTransfer: async (raw) => {
      const req = parseRequest(GetTransferRequest, raw);
      const transfer = await getTransfer(shard, req.transferId);
      if (!transfer || transfer.fromNodeId !== nodeId) throw new WalletError('NOT_FOUND', 'no such transfer');
      return toRecord(transfer);
    },

    // The client-wide views: any node answers from the database every node shares today. With a database per shard
    // (a later issue) the gateway turns each into a scatter-gather over the nodes, merged by (createdAt, id).
    listClientDeposits: async (raw) => {
      const { filter, page } = parseRequest(ListClientDepositsRequest, raw);
      const options = await listOptions(filter, page);
      const result = await listClientDeposits(dbs, filter.clientId, { ...options, status: filter.status || undefined });
      return { deposits: result.deposits.map(toDeposit), page: { nextCursor: result.nextCursor ?? '' } };
    },

    listClientWithdrawals: async (raw) => {
      const { filter, page } = parseRequest(ListClientWithdrawalsRequest, raw);
      const options = await listOptions(filter, page);
      const result = await listClientWithdrawals(shard, filter.clientId, {
        ...options,
        status: (filter.status || undefined) as WithdrawalView['status'] | undefined,
        reference: filter.reference || undefined,
      });
      return { withdrawals: result.withdrawals.map(toWithdrawalRecord), page: { nextCursor: result.nextCursor ?? '' } };
    },

    listClientTransfers: async (raw) => {
      const { filter, page } = parseRequest(ListClientTransfersRequest, raw);
      const options = await listOptions(filter, page);
      const result = await listClientTransfers(shard, filter.clientId, {
        ...options,
        status: filter.status || undefined,
        reference: filter.reference || undefined,
      });
      return { transfers: result.transfers.map(toRecord), page: { nextCursor: result.nextCursor ?? '' } };
    },

    getClientTransfer: async (raw) => {
      const req = parseRequest(GetClientTransferRequest, raw);
      const transfer = await getClientTransfer(shard, req.clientId, req.transferId);
      // Another client's transfer is as absent as one that does not exist.
      if (!transfer) throw new WalletError('NOT_FOUND', 'no such transfer', { details: { transferId: req.transferId } });
      return toRecord(transfer);
    },

    ...webhookHandlers(global, deps.secrets, deps.webhookPolicy ?? { allowPrivate: false }),
    ...emailHandlers(global),
    ...rateHandlers(global, deps.fiatRatesMs ?? 300_000),
    ...paymentRequestHandlers({ dbs, nodeId, registry, accounts }),
    ...redPacketHandlers({ dbs, nodeId, registry, accounts, relay: deps.relay }),

    listEvents: async (raw) => {
      const req = parseRequest(ListEventsRequest, raw);
      // The head first: an event sequenced between the two reads is then within the page or after last_seq, never lost.
      const lastSeq = await lastEventSeq(global, req.clientId);
      const events = await listEvents(global, req.clientId, req.after, req.limit);
      return {
        events: events.map((e) => ({
          seq: String(e.seq),
          id: e.id,
          type: e.type,
          resourceType: e.resourceType,
          resourceId: e.resourceId,
          version: e.version,
          dataJson: e.data,
          occurredAt: e.occurredAt.toISOString(),
        })),
        lastSeq: String(Math.max(lastSeq, events.at(-1)?.seq ?? 0)),
      };
    },

    getReservesProof: async (raw) => {
      const req = parseRequest(GetReservesProofRequest, raw);
      await accounts.require(req.accountId, nodeId);
      registry.asset(req.asset);
      const p = await reserveProof(shard, req.accountId, req.asset);
      return {
        reportId: p.reportId,
        asset: p.asset,
        root: p.root,
        total: p.total.toString(),
        leafCount: p.leafCount,
        createdAt: p.createdAt.toISOString(),
        leafIndex: p.leafIndex,
        balance: p.balance.toString(),
        commitment: p.commitment,
        salt: p.salt,
        path: p.path.map((s) => ({ hash: s.hash, sum: s.sum.toString(), side: s.side })),
      };
    },
  };
  return new GrpcServer(deps.log, deps.metrics ? { observe: grpcServerObserver(deps.metrics) } : {}).addService(
    'wallet.v1.TransService',
    TransServiceService,
    kickAfterWrites(handlers, deps.eventsAppended),
    transCallers,
  );

  /**
   * The common options of a client-wide list. An account filter must name one of the client's accounts (any node's):
   * another client's is as absent as one that does not exist.
   * @throws WalletError ACCOUNT_NOT_FOUND, UNSUPPORTED_ASSET, VALIDATION_FAILED (limit)
   */
  async function listOptions(
    filter: Omit<z.infer<ReturnType<typeof clientListFilter>>, 'status'>,
    page: z.infer<typeof PageRequest>,
  ): Promise<{
    accountId: string | undefined;
    asset: string | undefined;
    since: Date | undefined;
    until: Date | undefined;
    order: ListOrder;
    limit: number;
    cursor: string | undefined;
  }> {
    if (filter.accountId !== '') {
      const binding = await accounts.lookup(filter.accountId);
      if (binding?.clientId !== filter.clientId) {
        throw new WalletError('ACCOUNT_NOT_FOUND', 'no such account', { details: { accountId: filter.accountId } });
      }
    }
    if (filter.asset !== '') registry.asset(filter.asset);
    return {
      accountId: filter.accountId || undefined,
      asset: filter.asset || undefined,
      since: filter.since ? new Date(filter.since) : undefined,
      until: filter.until ? new Date(filter.until) : undefined,
      order: filter.order || 'desc',
      limit: pageLimit(page?.limit),
      cursor: page?.cursor || undefined,
    };
  }
}

/**
 * Records that this node id exists (first start) and when it last started. The row is never deleted. The table is
 * accountsrv's: transrv may insert its id and set `last_started_at`, nothing else (ownership.ts), so two statements
 * rather than an upsert (ON DUPLICATE KEY UPDATE would need UPDATE on every inserted column).
 */
export async function recordNodeStart(db: Db, nodeId: string): Promise<void> {
  await db.raw('INSERT IGNORE INTO transrv_nodes (node_id) VALUES (?)', [nodeId]);
  await db.raw('UPDATE transrv_nodes SET last_started_at = CURRENT_TIMESTAMP(3) WHERE node_id = ?', [nodeId]);
}
