/** A bucket of an account's balance in one asset. Freezing moves value from `available` to `frozen`. */
export const Bucket = { available: 'available', frozen: 'frozen' } as const;
export type Bucket = (typeof Bucket)[keyof typeof Bucket];

/**
 * System accounts: the other side of every entry that touches one user account. They have no balance
 * row (no hot row under load, and they may go negative: the chain inflow account is minus everything
 * ever deposited); their balance is the sum of their journal lines.
 */
export const SystemAccount = {
  /** Value debited on one node and not yet credited on another (cross-node transfers). */
  transit: 'sys:transit',
  /** Where deposits on a chain come from. */
  chainInflow: (chain: string) => `sys:chain:${chain}:inflow`,
  /** Where withdrawals to a chain go. */
  chainOutflow: (chain: string) => `sys:chain:${chain}:outflow`,
  /** Withdrawal fees charged to users; network fees the wallet pays are taken from here. */
  feeIncome: (asset: string) => `sys:fees:${asset}`,
  /** Native asset burned as network fees by the wallet's own transactions on a chain (gas). */
  networkFees: (chain: string) => `sys:chain:${chain}:network_fees`,
} as const;

export function isSystemAccount(accountId: string): boolean {
  return accountId.startsWith('sys:');
}

/** Why a journal line exists; shown to clients as the ledger's `kind`. */
export const LedgerKind = {
  transferOut: 'transfer_out',
  transferIn: 'transfer_in',
  deposit: 'deposit',
  depositReversal: 'deposit_reversal',
  withdrawalFreeze: 'withdrawal_freeze',
  withdrawalRelease: 'withdrawal_release',
  withdrawalSpend: 'withdrawal_spend',
  withdrawalFee: 'withdrawal_fee',
  networkFee: 'network_fee',
  /** A red packet's total moved from the sender's available to frozen. */
  redPacketFreeze: 'red_packet_freeze',
  /** A claimed share leaving the sender's frozen (to the claimer, or in transit to its node). */
  redPacketClaim: 'red_packet_claim',
  /** What nobody claimed before the packet expired, back to the sender's available. */
  redPacketRefund: 'red_packet_refund',
} as const;
export type LedgerKind = (typeof LedgerKind)[keyof typeof LedgerKind];
