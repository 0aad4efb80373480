import { metadataFromColumn } from '@wallet/ledger';
import type { WithdrawalRow, WithdrawalStatus } from '@wallet/withdrawal-protocol';

/** A withdrawal as the ledger keeps it. Amounts in the asset's base units. */
export type Withdrawal = {
  readonly id: string;
  readonly clientId: string;
  readonly accountId: string;
  readonly nodeId: string;
  readonly chain: string;
  readonly asset: string;
  /** The destination in the chain's canonical form (EIP-55 for EVM chains). */
  readonly to: string;
  readonly amount: bigint;
  /** The withdrawal fee charged to the user (frozen with the amount; income when confirmed). */
  readonly fee: bigint;
  readonly localhash: string;
  /**
   * Settled inside the wallet: the destination is a deposit address of this wallet, so after approval the account
   * that owns it is credited; nothing is signed or sent, no withdrawal fee and no network fee.
   */
  readonly internal: boolean;
  /** The account credited by an internal withdrawal (null otherwise). Not shown to clients: it may be another's. */
  readonly internalAccountId: string | null;
  readonly status: WithdrawalStatus;
  readonly reason: string | null;
  readonly txid: string | null;
  /**
   * UTXO chains: the index of the withdrawal's output in its transaction `txid` (a batch pays several withdrawals, one
   * output each); null until signed, and always on EVM chains.
   */
  readonly outputIndex: number | null;
  /** Native base units the chain burned for it (confirmed or failed); paid by the wallet. */
  readonly networkFee: bigint | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
  /** The client's own reference (unique per client among its withdrawals); null: none. */
  readonly reference: string | null;
  /** The client's metadata; `{}`: none. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
};

export function withdrawalFromRow(row: WithdrawalRow): Withdrawal {
  return {
    id: row.id,
    clientId: row.client_id,
    accountId: row.account_id,
    nodeId: row.node_id,
    chain: row.chain,
    asset: row.asset,
    to: row.to_address,
    amount: BigInt(row.amount),
    fee: BigInt(row.fee),
    localhash: row.localhash,
    internal: row.internal_account_id !== null,
    internalAccountId: row.internal_account_id,
    status: row.status,
    reason: row.reason,
    txid: row.txid,
    outputIndex: row.output_index ?? null,
    networkFee: row.network_fee === null ? null : BigInt(row.network_fee),
    blockNumber: row.block_number === null ? null : Number(row.block_number),
    blockHash: row.block_hash,
    reference: row.reference ?? null,
    metadata: metadataFromColumn(row.metadata ?? null),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
