import { AlertKind } from './raiseAlert.js';

/** What an operator reads about an alarm: a short title and one line saying what happened and what to do. */
export type AlertDescription = { readonly title: string; readonly text: string };

/**
 * Every alarm kind (its stable code is the kind itself) with its title and the operator's action. The API, the console
 * and `walletctl alerts` show these; the details stay for the specifics.
 */
export const alertCatalogue: Readonly<Record<AlertKind, AlertDescription>> = {
  tampered_request: {
    title: 'Altered withdrawal request',
    text: 'A request on blockout_req differs from the withdrawal in MySQL and was refused: someone wrote to Redis; find out who.',
  },
  integrity_mismatch: {
    title: 'Withdrawal row altered',
    text: 'The withdrawal no longer matches its localhash: nothing is signed, bumped or settled for it; put the row back or investigate the write.',
  },
  nonce_used_elsewhere: {
    title: 'Nonce used by another transaction',
    text: 'A nonce signsrv allocated was mined in a transaction it did not sign: the hot wallet key is used elsewhere; the withdrawal stays frozen until an operator resolves it.',
  },
  nonce_ahead: {
    title: 'Hot wallet sent outside signsrv',
    text: 'The chain counts more transactions from the hot wallet than signsrv signed: someone else holds the key; signsrv moved its nonces forward.',
  },
  build_failed: {
    title: 'Withdrawal cannot be built',
    text: 'An approved withdrawal could not be turned into a transaction (see its cause); nothing was signed, it is retried with backoff.',
  },
  send_refused: {
    title: 'Node refused a signed transaction',
    text: 'The node refuses a signed transaction (see its cause); it is re-sent, and every later transaction of the hot wallet waits behind it.',
  },
  hot_wallet_changed: {
    title: 'Stuck transaction of a previous hot wallet key',
    text: 'A stuck transaction was signed by a hot wallet key signsrv no longer holds: it is re-sent as it is, never replaced; fund or unblock the old address.',
  },
  unknown_hot_wallet_tx: {
    title: 'Unknown transaction from a hot wallet',
    text: "Money left a hot wallet (or the wallet's outputs were spent) with no withdrawal or consolidation behind it: the key was used outside signsrv; investigate now.",
  },
  ctx_mismatch: {
    title: 'blockout_ctx disagrees with MySQL',
    text: 'Redis blockout_ctx gives a mined transaction another localhash than MySQL: the withdrawal was settled by MySQL; find out who wrote to Redis.',
  },
  settlement_held: {
    title: 'Settlement held',
    text: 'A mined withdrawal is not settled (its row changed after signing, or the token moved another amount); its funds stay frozen until an operator corrects the row or the books.',
  },
  invalid_destination: {
    title: 'Destination must not be paid',
    text: 'An approved withdrawal pays an address the wallet operates or a reserved one: it is not signed; void it so its funds are released.',
  },
  settled_withdrawal_reorged: {
    title: 'Reorg under a settled withdrawal',
    text: 'A reorg deeper than its confirmations dropped the block of a settled withdrawal: the books keep it and signsrv re-sends the transaction; check it is mined again.',
  },
  nonce_behind_chain: {
    title: 'Chain forgot a mined transaction',
    text: "The node's nonce for the hot wallet is below one signsrv knows was mined: the stored transaction is re-sent until the chain passes it; check the node.",
  },
  settled_receipt_missing: {
    title: 'Receipt of a confirmed withdrawal missing',
    text: 'The node no longer returns the receipt of a recently confirmed withdrawal: the books say paid, the chain does not; check the node and the transaction.',
  },
  psbt_refused: {
    title: 'Built UTXO transaction refused',
    text: 'signsrv refused to sign a built transaction that does not match MySQL (see problems): its inputs were released and it is built again; find out what changed it.',
  },
  reconciliation_shortfall: {
    title: 'Holdings short of liabilities',
    text: 'Reconciliation found the holdings of an asset short of its liabilities beyond the tolerance: its signing is halted; find the loss, then an admin releases it.',
  },
  hot_wallet_below_floor: {
    title: 'Hot wallet below its floor',
    text: "An asset's hot wallet holds less than its floor: refill it from the cold address the alarm names; the refill is recognised when it lands.",
  },
  negative_balance: {
    title: 'Negative balance',
    text: 'A balance row is below zero: the books are broken; find the entry that did it (walletctl ledger check) before anything else moves.',
  },
  journal_unbalanced: {
    title: 'Journal does not sum to zero',
    text: 'A journal entry (or an asset over the whole journal) does not sum to zero: double entry is broken; run walletctl ledger check and find the write.',
  },
};

/**
 * Why a transaction could not be built (`build_failed`) or was refused by the node (`send_refused`): `details.cause`.
 * Each has its own text, so an operator never has to read a generic error code.
 */
export const AlertCause = {
  /** The node's gas estimate fails: the call would revert (the destination or token contract refuses it). */
  gasEstimateFailed: 'gas_estimate_failed',
  /** The hot wallet (or the wallet's spendable outputs) cannot pay the amount and the fee. */
  insufficientHotWalletFunds: 'insufficient_hot_wallet_funds',
  /** The network's base fee is at or above signsrv's fee cap. */
  feeAboveCap: 'fee_above_cap',
  /** The chain's node (or its scanner) does not answer or is not ready. */
  nodeUnavailable: 'node_unavailable',
  /** The amount is below what the chain relays. */
  amountBelowDust: 'amount_below_dust',
  /** signsrv does not pay out on the withdrawal's chain. */
  chainNotServed: 'chain_not_served',
  /** The node refused the signed transaction for another reason (`details.nodeMessage`). */
  nodeRejected: 'node_rejected',
  /** Anything else (`details.errorCode`, and signsrv's log). */
  unexpected: 'unexpected',
} as const;
export type AlertCause = (typeof AlertCause)[keyof typeof AlertCause];

export const alertCauseCatalogue: Readonly<Record<AlertCause, AlertDescription>> = {
  gas_estimate_failed: {
    title: 'gas estimate fails',
    text: 'The gas estimate fails: the transaction would revert (the destination or the token contract refuses it). Retried; if it never passes, void the withdrawal.',
  },
  insufficient_hot_wallet_funds: {
    title: 'hot wallet cannot pay',
    text: 'The hot wallet cannot pay the amount and the network fee: fund the hot wallet; the withdrawal goes out once it can.',
  },
  fee_above_cap: {
    title: 'fees above the cap',
    text: "The network's base fee is above signsrv's fee cap (SIGNSRV_MAX_FEE_PER_GAS): it waits for fees to fall, or raise the cap.",
  },
  node_unavailable: {
    title: 'node unavailable',
    text: "The chain's node (or its scanner) does not answer or is not ready: retried; check the node if it lasts.",
  },
  amount_below_dust: {
    title: 'amount below dust',
    text: 'The amount is below what the chain relays: it can never be paid; void the withdrawal.',
  },
  chain_not_served: {
    title: 'chain not served',
    text: "signsrv has no payout family for the withdrawal's chain: configure the chain's node in signsrv, or void the withdrawal.",
  },
  node_rejected: {
    title: 'node rejected the transaction',
    text: "The node rejected the signed transaction (its message is in the details): it is re-sent; check the node's reason.",
  },
  unexpected: {
    title: 'unexpected error',
    text: "An unexpected error (its code is in the details): retried; see signsrv's log.",
  },
};

/**
 * The title and text of an alarm as stored: its kind's, with the cause's text when it has a known one. A kind this
 * version does not know (written by a newer one) gets a text that says so.
 */
export function describeAlert(kind: string, details: unknown): AlertDescription {
  const entry = (alertCatalogue as Record<string, AlertDescription>)[kind];
  if (entry === undefined) return { title: kind, text: 'An alarm of a kind this version does not know: see its details.' };
  const cause = typeof details === 'object' && details !== null ? (details as Record<string, unknown>)['cause'] : undefined;
  const known = typeof cause === 'string' ? (alertCauseCatalogue as Record<string, AlertDescription>)[cause] : undefined;
  return known === undefined ? entry : { title: `${entry.title}: ${known.title}`, text: known.text };
}

/** Every kind, for filters. */
export const alertKinds: readonly AlertKind[] = Object.values(AlertKind);
