import { type AssetRegistry, PositiveBaseUnits } from '@wallet/assets';
import type { Db } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { IdempotencyKey, NodeId, ObjectId, PageRequest, pageLimit } from '@wallet/ids';
import {
  type Transfer,
  type TransferRelay,
  createTransfer,
  creditTransfer,
  getBalances,
  getTransfer,
  listDeposits,
  listLedger,
} from '@wallet/ledger';
import type { Logger } from '@wallet/logger';
import { type TransferRecord, TransServiceService, type WithdrawalRecord } from '@wallet/proto';
import { type CrashPoint, instanceInfo, noCrashPoints } from '@wallet/lifecycle';
import { GrpcServer, parseRequest } from '@wallet/rpc';
import {
  type WithdrawalView,
  cancelWithdrawal,
  createWithdrawal,
  getWithdrawal,
  internalCreditOf,
  listWithdrawals,
} from '@wallet/withdrawals';
import { z } from 'zod';
import type { AccountDirectory } from './accountDirectory.js';

export type TransrvDeps = {
  readonly nodeId: string;
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly db: Db;
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
});
const CreditTransferRequest = z.object({
  transferId: ObjectId,
  fromNodeId: NodeId,
  toAccountId: ObjectId,
  asset: z.string().max(16),
  amount: PositiveBaseUnits,
  // Empty for a client's transfer (older senders leave it out).
  withdrawalId: z.union([z.literal(''), ObjectId]).default(''),
});
const GetTransferRequest = z.object({ transferId: ObjectId });
const ListDepositsRequest = z.object({ accountId: ObjectId, page: PageRequest });
const CreateWithdrawalRequest = z.object({
  clientId: ObjectId,
  idempotencyKey: IdempotencyKey,
  requestHash: z.string().regex(/^[0-9a-f]{64}$/),
  accountId: ObjectId,
  asset: z.string().max(16),
  // Checked against the asset's chain (format, checksum, network) by checkWithdrawalRequest; here only bounded.
  to: z.string().min(1).max(100),
  amount: PositiveBaseUnits,
});
const ListWithdrawalsRequest = z.object({ accountId: ObjectId, page: PageRequest });
const WithdrawalByIdRequest = z.object({ clientId: ObjectId, withdrawalId: ObjectId });
const CancelWithdrawalRequest = z.object({
  clientId: ObjectId,
  withdrawalId: ObjectId,
  // Empty from a gateway that does not send it yet: the cancel is then not recorded under a key.
  idempotencyKey: z.union([z.literal(''), IdempotencyKey]).default(''),
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
  };
}

/** Builds transrv's gRPC server without listening, so tests can drive it in-process. */
export function buildApp(deps: TransrvDeps): GrpcServer {
  const { db, nodeId, registry, accounts } = deps;
  return new GrpcServer(deps.log).addService('wallet.v1.TransService', TransServiceService, {
    getInfo: async () => instanceInfo('transrv', deps.instanceId, deps.startedAt, nodeId),

    getBalances: async (raw) => {
      const req = parseRequest(GetBalancesRequest, raw);
      await accounts.require(req.accountId, nodeId);
      const balances = await getBalances(db, req.accountId, registry.assetIds());
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
      const page = await listLedger(db, req.accountId, {
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
      const result = await createTransfer(db, nodeId, req);
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
      const { withdrawalId, ...credit } = req;
      // An internal withdrawal's credit: only one its confirmed withdrawal backs, recorded as the receiver's deposit.
      const deposit = withdrawalId === '' ? undefined : await internalCreditOf(db, { ...credit, withdrawalId });
      const credited = await creditTransfer(db, nodeId, { ...credit, deposit });
      // Committed, not yet acknowledged: the sender must deliver again and be answered without a second credit.
      if (deposit) (deps.crashPoint ?? noCrashPoints)('transrv.internal_credit.after_commit');
      return credited;
    },

    listDeposits: async (raw) => {
      const req = parseRequest(ListDepositsRequest, raw);
      await accounts.require(req.accountId, nodeId);
      const page = await listDeposits(db, req.accountId, { limit: pageLimit(req.page?.limit), cursor: req.page?.cursor || undefined });
      return {
        deposits: page.deposits.map((d) => ({
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
        })),
        page: { nextCursor: page.nextCursor ?? '' },
      };
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
      const { withdrawal, created } = await createWithdrawal(db, nodeId, registry, req);
      (deps.crashPoint ?? noCrashPoints)('transrv.withdrawal.after_freeze');
      // Confirmations are not computed here: the create answer does not show them, and a new one has no transaction.
      return { withdrawal: toWithdrawalRecord({ ...withdrawal, confirmations: null }), created };
    },

    listWithdrawals: async (raw) => {
      const req = parseRequest(ListWithdrawalsRequest, raw);
      await accounts.require(req.accountId, nodeId);
      const page = await listWithdrawals(db, req.accountId, { limit: pageLimit(req.page?.limit), cursor: req.page?.cursor || undefined });
      return { withdrawals: page.withdrawals.map(toWithdrawalRecord), page: { nextCursor: page.nextCursor ?? '' } };
    },

    // Any node answers from the shared database: the gateway knows the withdrawal id, not yet its account.
    getWithdrawal: async (raw) => {
      const req = parseRequest(WithdrawalByIdRequest, raw);
      const withdrawal = await getWithdrawal(db, req.withdrawalId);
      // Another client's withdrawal is as absent as one that does not exist.
      if (!withdrawal || withdrawal.clientId !== req.clientId) {
        throw new WalletError('NOT_FOUND', 'no such withdrawal', { details: { withdrawalId: req.withdrawalId } });
      }
      return toWithdrawalRecord(withdrawal);
    },

    cancelWithdrawal: async (raw) => {
      const req = parseRequest(CancelWithdrawalRequest, raw);
      // A retry of a cancel that took effect (same key) answers with the cancelled withdrawal again.
      const { withdrawal } = await cancelWithdrawal(db, nodeId, req.clientId, req.withdrawalId, req.idempotencyKey);
      // Cancelled before review, so it never had a transaction to confirm.
      return toWithdrawalRecord({ ...withdrawal, confirmations: null });
    },

    getTransfer: async (raw) => {
      const req = parseRequest(GetTransferRequest, raw);
      const transfer = await getTransfer(db, req.transferId);
      if (!transfer || transfer.fromNodeId !== nodeId) throw new WalletError('NOT_FOUND', 'no such transfer');
      return toRecord(transfer);
    },
  });
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
