import type { Knex } from '@wallet/db';
import type { WithdrawalRow, WithdrawalStatus } from '@wallet/withdrawal-protocol';

/** One approval of a withdrawal. */
export type ApprovalView = {
  readonly approver: string;
  readonly role: string;
  readonly comment: string | null;
  readonly at: Date;
  /** Whether it was given to the withdrawal's current localhash (an approval of anything else never counts). */
  readonly counts: boolean;
};

/** A withdrawal under review, as auditors see it: always read from MySQL. */
export type ReviewView = {
  readonly withdrawalId: string;
  readonly clientId: string;
  readonly accountId: string;
  readonly nodeId: string;
  readonly chain: string;
  readonly asset: string;
  readonly to: string;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly localhash: string;
  /** The withdrawal's status, as transrv keeps it and clients see it (the same names). */
  readonly status: WithdrawalStatus;
  /** signsrv's decision; transrv moves the status when the decision's report reaches it. */
  readonly decision: 'approved' | 'rejected' | 'voided' | null;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly reason: string | null;
  /** Approvals so far, oldest first. */
  readonly approvals: readonly ApprovalView[];
  /** Approvals the policy asked for when the withdrawal was approved (null while undecided: see the risk view). */
  readonly requiredApprovals: number | null;
  /** The policy version that decided it. */
  readonly policyId: string | null;
  /** After its final approval the withdrawal waits until then before signing (and can still be cancelled). */
  readonly holdUntil: Date | null;
  /** Who requested it (`client:<id>`). */
  readonly requestedBy: string | null;
  readonly txid: string | null;
  readonly nonce: number | null;
  /**
   * The withdrawal's client is disabled by ops: an approved withdrawal of it is not signed until the client is
   * enabled again (then the sender signs it on its next pass).
   */
  readonly clientDisabled: boolean;
  /**
   * Signing of the withdrawal's asset is halted (its kill switch: reconciliation found a shortfall, or an admin): an
   * approved withdrawal of it is not signed (SIGNING_PAUSED) until an admin releases the asset.
   */
  readonly signingHalted: boolean;
  /**
   * The destination is a deposit address of this wallet: once approved, the owning transrv credits `internalAccountId`
   * in the ledger. Nothing is ever signed or sent for it.
   */
  readonly internal: boolean;
  readonly internalAccountId: string | null;
  /**
   * Whether the destination had code (a contract) when signsrv received the request: allowed, but worth a look (a
   * contract may refuse or forward what it is sent). null: not looked up yet (the node was unreachable), or internal.
   */
  readonly destinationIsContract: boolean | null;
  readonly receivedAt: Date;
  readonly createdAt: Date;
};

/** Filters of the review queue. */
export type QueueFilter = {
  readonly clientId?: string | undefined;
  readonly accountId?: string | undefined;
  readonly asset?: string | undefined;
  /** Amounts in base units, inclusive. */
  readonly minAmount?: bigint | undefined;
  readonly maxAmount?: bigint | undefined;
  /** Only withdrawals received at least this many seconds ago. */
  readonly minAgeSeconds?: number | undefined;
};

/** Filters of decided withdrawals (history and search). */
export type DecidedFilter = QueueFilter & {
  readonly decision?: 'approved' | 'rejected' | 'voided' | undefined;
  readonly status?: WithdrawalStatus | undefined;
  readonly decidedBy?: string | undefined;
  readonly to?: string | undefined;
};

/** A row of {@link reviewQuery}. */
export type ReviewRow = WithdrawalRow & {
  decision: 'approved' | 'rejected' | 'voided' | null;
  decided_by: string | null;
  decided_at: Date | null;
  sr_reason: string | null;
  received_at: Date;
  required_approvals: number | null;
  policy_id: number | string | null;
  hold_until: Date | null;
  requested_by: string | null;
  tx_txid: string | null;
  tx_nonce: string | null;
  client_status: string | null;
  asset_halted: number | null;
  destination_is_contract: number | null;
};

/**
 * The review queue as auditors see it: each received withdrawal with signsrv's decision, its latest transaction, and
 * its client's status, narrowed by `filter`. A query to refine (where, order, limit) and then read.
 */
export function reviewQuery(db: Knex, filter: QueueFilter) {
  const q = db('sign_requests as r')
    .join('withdrawals as w', 'w.id', 'r.withdrawal_id')
    .leftJoin(
      db.raw('(SELECT withdrawal_id, MAX(attempt) AS attempt FROM withdrawal_txs GROUP BY withdrawal_id) AS la'),
      'la.withdrawal_id',
      'r.withdrawal_id',
    )
    .leftJoin('withdrawal_txs as t', function () {
      this.on('t.withdrawal_id', '=', 'la.withdrawal_id').andOn('t.attempt', '=', 'la.attempt');
    })
    // accountsrv owns clients; signsrv only reads a client's status (see signBatch).
    .leftJoin('clients as c', 'c.id', 'w.client_id')
    .leftJoin('asset_signing_halts as h', 'h.asset', 'w.asset')
    .select<ReviewRow[]>(
      'w.*',
      'c.status as client_status',
      'h.halted as asset_halted',
      'r.decision',
      'r.decided_by',
      'r.decided_at',
      'r.reason as sr_reason',
      'r.received_at',
      'r.required_approvals',
      'r.policy_id',
      'r.hold_until',
      'r.requested_by',
      'r.destination_is_contract',
      't.txid as tx_txid',
      // Every transaction of a withdrawal has the same nonce (a replacement keeps it); families without one: null.
      't.nonce as tx_nonce',
    );
  if (filter.clientId !== undefined) void q.andWhere('w.client_id', filter.clientId);
  if (filter.accountId !== undefined) void q.andWhere('w.account_id', filter.accountId);
  if (filter.asset !== undefined) void q.andWhere('w.asset', filter.asset);
  // DECIMAL against a string would compare as floating point: cast the bound to DECIMAL.
  if (filter.minAmount !== undefined) void q.andWhereRaw('w.amount >= CAST(? AS DECIMAL(65,0))', [filter.minAmount.toString()]);
  if (filter.maxAmount !== undefined) void q.andWhereRaw('w.amount <= CAST(? AS DECIMAL(65,0))', [filter.maxAmount.toString()]);
  if (filter.minAgeSeconds !== undefined) {
    void q.andWhereRaw('r.received_at <= CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND', [filter.minAgeSeconds]);
  }
  return q;
}

/** Rows of {@link reviewQuery} as the review API shows them, with their approvals (one more query). */
export async function loadViews(db: Knex, rows: readonly ReviewRow[]): Promise<ReviewView[]> {
  const approvals = new Map<string, ApprovalView[]>();
  if (rows.length > 0) {
    const byId = new Map(rows.map((r) => [r.id, r]));
    const all = await db('withdrawal_approvals')
      .whereIn(
        'withdrawal_id',
        rows.map((r) => r.id),
      )
      .orderBy('created_at')
      .select<{ withdrawal_id: string; approver: string; role: string; comment: string | null; created_at: Date; localhash: string }[]>();
    for (const a of all) {
      const list = approvals.get(a.withdrawal_id) ?? [];
      list.push({
        approver: a.approver,
        role: a.role,
        comment: a.comment,
        at: a.created_at,
        counts: a.localhash === byId.get(a.withdrawal_id)?.localhash,
      });
      approvals.set(a.withdrawal_id, list);
    }
  }
  return rows.map((r) => toView(r, approvals.get(r.id) ?? []));
}

function toView(r: ReviewRow, approvals: readonly ApprovalView[]): ReviewView {
  return {
    withdrawalId: r.id,
    clientId: r.client_id,
    accountId: r.account_id,
    nodeId: r.node_id,
    chain: r.chain,
    asset: r.asset,
    to: r.to_address,
    amount: BigInt(r.amount),
    fee: BigInt(r.fee),
    localhash: r.localhash,
    status: r.status,
    decision: r.decision,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    reason: r.sr_reason,
    approvals,
    requiredApprovals: r.required_approvals,
    policyId: r.policy_id === null ? null : String(r.policy_id),
    holdUntil: r.hold_until,
    requestedBy: r.requested_by,
    txid: r.tx_txid,
    nonce: r.tx_nonce === null ? null : Number(r.tx_nonce),
    clientDisabled: r.client_status === 'disabled',
    signingHalted: Boolean(r.asset_halted),
    internal: r.internal_account_id !== null,
    internalAccountId: r.internal_account_id,
    destinationIsContract: r.destination_is_contract === null ? null : Boolean(r.destination_is_contract),
    receivedAt: r.received_at,
    createdAt: r.created_at,
  };
}

/** Withdrawals received and waiting for a decision, oldest first (the review queue). */
export async function pendingReviews(db: Knex, filter: QueueFilter, limit: number, afterId?: string): Promise<ReviewView[]> {
  const q = reviewQuery(db, filter).whereNull('r.decision').andWhere('w.status', 'pending_review').orderBy('r.withdrawal_id').limit(limit);
  if (afterId) void q.andWhere('r.withdrawal_id', '>', afterId);
  return loadViews(db, await q);
}
