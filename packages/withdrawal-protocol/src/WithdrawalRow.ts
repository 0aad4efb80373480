import type { WithdrawalStatus } from './WithdrawalStatus.js';

/** A row of the withdrawals table, as mysql2 returns it. */
export type WithdrawalRow = {
  id: string;
  client_id: string;
  account_id: string;
  node_id: string;
  idempotency_key: string;
  request_hash: string;
  chain: string;
  asset: string;
  to_address: string;
  amount: string;
  fee: string;
  localhash: string;
  internal_account_id: string | null;
  status: WithdrawalStatus;
  reason: string | null;
  txid: string | null;
  output_index: number | null;
  network_fee: string | null;
  block_number: string | number | null;
  block_hash: string | null;
  /** The client's reference and metadata (JSON text): not covered by the localhash, nothing signsrv pays by. */
  reference?: string | null;
  metadata?: string | null;
  created_at: Date;
  updated_at: Date;
};
