/** The states of a sweep (`sweeps.status`); `confirmed` and `failed` are final. */
export const SweepStatus = {
  planned: 'planned',
  toppedUp: 'topped_up',
  signed: 'signed',
  broadcast: 'broadcast',
  confirmed: 'confirmed',
  failed: 'failed',
} as const;
export type SweepStatus = (typeof SweepStatus)[keyof typeof SweepStatus];

/** A `sweeps` row as the job reads it (DECIMAL and BIGINT columns as strings). */
export type SweepRow = {
  readonly id: string;
  readonly chain: string;
  readonly asset: string;
  readonly address: string;
  readonly address_index: string | number;
  readonly to_address: string;
  readonly status: SweepStatus;
  readonly amount: string;
  readonly gas_price: string;
  readonly gas_limit: string | number;
  readonly native_before: string;
  readonly topup_amount: string | null;
  readonly topup_from: string | null;
  readonly topup_nonce: string | number | null;
  readonly topup_txid: string | null;
  readonly topup_raw: string | null;
  readonly topup_fee: string | null;
  readonly topup_sent_ms: string | number | null;
  readonly sweep_nonce: string | number | null;
  readonly sweep_txid: string | null;
  readonly sweep_raw: string | null;
  readonly sweep_fee: string | null;
  readonly since_sent_ms: string | number | null;
};
