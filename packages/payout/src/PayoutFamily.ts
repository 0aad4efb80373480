import type { Knex } from '@wallet/db';
import type { WithdrawalRow } from '@wallet/withdrawal-protocol';

/**
 * A signed transaction of a withdrawal as `withdrawal_txs` stores it: the columns every family has, and the family's
 * own (EVM: `gas_limit`, `max_fee_per_gas`, `max_priority_fee_per_gas`), which only the family reads.
 */
export type StoredTx = {
  readonly chain: string;
  readonly txid: string;
  readonly withdrawal_id: string;
  /** 0 for the first transaction of the withdrawal, one more for each replacement. */
  readonly attempt: number;
  /** The address of the key that signed it (EVM: the hot wallet). */
  readonly from_address: string;
  /** Its place in the sender's sequence (EVM: the nonce), as MySQL returns it; null for families without one. */
  readonly nonce: string | null;
  /** The serialized signed transaction, exactly as it is sent (and re-sent). */
  readonly raw: string;
  readonly created_at: Date;
  readonly broadcast_at: Date | null;
  readonly last_broadcast_at: Date | null;
  /** The family's own columns. */
  readonly [column: string]: unknown;
};

/** A withdrawal's latest transaction, with what sending it needs (the blockout_ctx entry and the owning node). */
export type InFlightTx = StoredTx & { readonly localhash: string; readonly node_id: string };

/** A withdrawal a signed transaction pays, with its own columns of `withdrawal_txs` (UTXO: `vout`, `network_fee`). */
export type PayoutMember = {
  readonly withdrawalId: string;
  /** The member's own columns, as decimal strings (its output, its share of the fee). */
  readonly columns?: Readonly<Record<string, string>>;
};

/**
 * What a family's signature produced, ready to be stored by the shared code: one transaction, paying one withdrawal
 * (EVM) or several (a UTXO batch), stored as one `withdrawal_txs` row per withdrawal.
 */
export type SignedPayout = {
  /** The withdrawals it pays, at least one, each once. */
  readonly members: readonly PayoutMember[];
  readonly txid: string;
  /** The serialized signed transaction. */
  readonly raw: string;
  /** The address of the key that signed it. */
  readonly from: string;
  /** Its place in the sender's sequence (EVM: the nonce); null for families without one. */
  readonly nonce: number | null;
  /** The family's own columns of `withdrawal_txs` shared by every member, as decimal strings. */
  readonly columns: Readonly<Record<string, string>>;
};

/**
 * What {@link PayoutFamily.build} made of a group of withdrawals: a draft for each it could build, an error for the
 * others, and those it leaves for a later pass without an error (waiting for a batch to fill; `deferred`).
 */
export type Built<Draft> = {
  readonly drafts: ReadonlyMap<string, Draft>;
  readonly errors: ReadonlyMap<string, unknown>;
  readonly deferred?: ReadonlySet<string>;
};

/** A withdrawal as it is locked in the signing transaction, with the draft built for it before the lock. */
export type Drafted<Draft> = { readonly row: WithdrawalRow; readonly draft: Draft };

/**
 * How a send ended when it did not throw: `sent` (the node has it), or `inputs_used`: what the transaction spends is
 * spent on chain already (EVM: its nonce is mined; UTXO: its inputs are spent), by one of the withdrawal's own
 * transactions (the scanner reports it) or by something signsrv did not sign (an alarm).
 */
export type BroadcastOutcome = 'sent' | 'inputs_used';

/**
 * One chain of one chain family, as signsrv's payout desk uses it: everything that differs between EVM and UTXO
 * chains when paying a withdrawal. What is the same for every chain (review decisions, limits, the signing queue and
 * its MySQL transaction, storing signed transactions and blockout_rsp reports, blockout_ctx, the sender's re-send and
 * replacement loop, alarms) stays in the shared code, which calls these in this order for a withdrawal:
 *
 * ```
 * build (no lock) -> [signing transaction: shared checks -> reserve -> sign -> store] -> broadcast -> ...
 * stuck: mayReplace -> planReplacement (no lock) -> [transaction: shared checks, verifySigned -> signReplacement -> store]
 * ```
 *
 * EVM: the inputs reserved are a nonce of the hot wallet (MySQL allocator); a replacement has the same nonce and call
 * with higher fees. UTXO: the inputs are outputs of the `utxos` table locked for the withdrawal in the same
 * transaction; the transaction is a PSBT signed by signsrv's key; a replacement (BIP125) spends the same inputs.
 *
 * Errors are WalletErrors. A family never writes `withdrawal_txs`, `sign_requests` or `sign_outbox`: the shared code
 * does, in the same MySQL transaction as the family's reservation.
 * @typeParam Draft what `build` makes of a withdrawal outside any lock (EVM: call, gas and fees)
 * @typeParam Unsigned a draft with its inputs reserved (EVM: and its nonce)
 * @typeParam Replacement what `planReplacement` decided (EVM: the original and its raised fees)
 */
export interface PayoutFamily<Draft = unknown, Unsigned = unknown, Replacement = unknown> {
  /** Registry chain id. */
  readonly chain: string;

  /**
   * The address the wallet pays from (EVM: the hot wallet; UTXO: where change goes). Recorded in `hot_wallets` as the
   * chain's active one, so the scanner reports what it sends and no withdrawal is ever paid to it.
   */
  readonly address: string;

  /** Whether `from` is the address of the key this family signs with now (a transaction signed by an earlier key cannot be replaced). */
  isActiveSender(from: string): boolean;

  /** At start, after `hot_wallets` is written: sets up what reserving inputs needs (EVM: the nonce allocator). */
  init(): Promise<void>;

  /**
   * At the start of each pass of the sender: compares the reservations with the chain (EVM: nonces; something else
   * sent from the hot wallet, or the chain went back behind what it mined), raising alarms. Never throws: a failure is
   * logged, and {@link mayReplace} is false for this pass.
   * @returns stored transactions the chain forgot although it mined them once, to be re-sent exactly as they are
   */
  reconcile(): Promise<readonly (InFlightTx & { readonly since_sent_ms: string | number })[]>;

  /** Whether a destination is a contract, for the reviewers (EVM: it has code). */
  destinationIsContract(address: string): Promise<boolean>;

  /**
   * Outside any lock: asks the node what paying each withdrawal needs (EVM: the gas estimate, one fee estimate for
   * the group). A withdrawal that cannot be built now (the call would revert, fees above the cap) gets an error.
   * @param rows approved withdrawals of this chain
   */
  build(rows: readonly WithdrawalRow[]): Promise<Built<Draft>>;

  /**
   * Inside the signing transaction: reserves the inputs of each withdrawal (EVM: a nonce from the allocator, in the
   * order given; UTXO: locks selected outputs for it). Everything it writes commits with the signed transactions, or
   * not at all.
   * @param drafted withdrawals that passed every shared check, in approval order, with the rows as locked now
   * @returns the unsigned transactions: one per withdrawal (EVM, in the same order), or one per batch (UTXO); a
   * withdrawal in none of them is not signed this time (its inputs could not be reserved: it is retried)
   */
  reserve(trx: Knex.Transaction, drafted: readonly Drafted<Draft>[]): Promise<readonly Unsigned[]>;

  /** Signs one reserved transaction (inside the signing transaction: its inputs are held). */
  sign(unsigned: Unsigned): Promise<SignedPayout>;

  /**
   * Whether inputs were ever reserved for the withdrawal (a locking read, inside the caller's transaction): a
   * withdrawal with a reservation may have been signed, so it is never voided.
   */
  hasReservation(trx: Knex.Transaction, withdrawalId: string): Promise<boolean>;

  /**
   * Gives up what was prepared for a withdrawal that will never be signed (an auditor voided it), inside the void's
   * transaction after its locks: UTXO: unsigned builds paying it are abandoned and their inputs released (their other
   * members are built again). Until then transrv cannot end the withdrawal: a live build may be signed any moment, so
   * it refuses to apply the void (signatureMayExist). EVM: nothing (a nonce is a reservation; no void then).
   */
  dropUnsigned(trx: Knex.Transaction, withdrawalId: string): Promise<void>;

  /**
   * Checks a stored signed transaction against the withdrawal it pays, before it is replaced: it must pay exactly what
   * the row says (EVM: recipient, value and calldata), and agree with its own stored columns (EVM: nonce, chain id,
   * signer).
   * @returns the problems (`call`, `signed_transaction`), empty when it is intact
   */
  verifySigned(tx: StoredTx, row: WithdrawalRow): string[];

  /**
   * Whether a stuck transaction signed by the active key is one a replacement can help (EVM: only the hot wallet's
   * next nonce to be mined; those behind it wait for it, not for a fee).
   */
  mayReplace(tx: InFlightTx): boolean;

  /**
   * Outside any lock: the replacement of a stuck transaction, same inputs and payment, higher fee (EVM: fees raised by
   * the bump percentage, at least the market's, at most the cap).
   * @returns null when no replacement should be signed (the fee cap leaves no room): it is re-sent as it is
   */
  planReplacement(tx: InFlightTx): Promise<Replacement | null>;

  /** Signs a planned replacement (inside the transaction that re-checked the withdrawal and the original). */
  signReplacement(plan: Replacement): Promise<SignedPayout>;

  /**
   * Sends a signed transaction to the node (idempotent: the node may have it already).
   * @throws WalletError VALIDATION_FAILED when the node refuses this very transaction; UNAVAILABLE, TIMEOUT
   */
  broadcast(tx: StoredTx): Promise<BroadcastOutcome>;

  /** Whether the node has the transaction mined. */
  isMined(txid: string): Promise<boolean>;

  /** Wipes the signing key and closes the node connection. */
  close(): Promise<void>;
}
