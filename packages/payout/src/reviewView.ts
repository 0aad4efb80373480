import type { Knex } from '@wallet/db';
import type { WithdrawalRow } from '@wallet/withdrawal-protocol';

/** A withdrawal under review, as auditors see it: always read from MySQL. */
export type ReviewView = {
  readonly withdrawalId: string;
  readonly accountId: string;
  readonly nodeId: string;
  readonly chain: string;
  readonly asset: string;
  readonly to: string;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly localhash: string;
  readonly status: string;
  readonly decision: 'approved' | 'rejected' | 'voided' | null;
  readonly decidedBy: string | null;
  readonly reason: string | null;
  readonly txid: string | null;
  readonly nonce: number | null;
  /**
   * The withdrawal's client is disabled by ops: an approved withdrawal of it is not signed until the client is
   * enabled again (then the sender signs it on its next pass).
   */
  readonly clientDisabled: boolean;
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

/** A row of {@link reviewQuery}. */
export type ReviewRow = WithdrawalRow & {
  decision: 'approved' | 'rejected' | 'voided' | null;
  decided_by: string | null;
  sr_reason: string | null;
  received_at: Date;
  tx_txid: string | null;
  tx_nonce: string | null;
  client_status: string | null;
  destination_is_contract: number | null;
};

/**
 * The review queue as auditors see it: each received withdrawal with signsrv's decision, its latest transaction, and
 * its client's status. A query to refine (where, order, limit) and then read.
 */
export function reviewQuery(db: Knex) {
  return (
    db('sign_requests as r')
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
      .select<ReviewRow[]>(
        'w.*',
        'c.status as client_status',
        'r.decision',
        'r.decided_by',
        'r.reason as sr_reason',
        'r.received_at',
        'r.destination_is_contract',
        't.txid as tx_txid',
        // Every transaction of a withdrawal has the same nonce (a replacement keeps it); families without one: null.
        't.nonce as tx_nonce',
      )
  );
}

/** A row of {@link reviewQuery} as the review API shows it. */
export function toView(r: ReviewRow): ReviewView {
  return {
    withdrawalId: r.id,
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
    reason: r.sr_reason,
    txid: r.tx_txid,
    nonce: r.tx_nonce === null ? null : Number(r.tx_nonce),
    clientDisabled: r.client_status === 'disabled',
    internal: r.internal_account_id !== null,
    internalAccountId: r.internal_account_id,
    destinationIsContract: r.destination_is_contract === null ? null : Boolean(r.destination_is_contract),
    receivedAt: r.received_at,
    createdAt: r.created_at,
  };
}
