/**
 * A block header as the scanner tracks it: enough to detect a reorg (a child's `parentHash` is not the hash stored
 * for its parent) and to date a deposit.
 */
export type BlockRef = {
  readonly number: number;
  /** In the chain's canonical form (EVM: lower-case 0x hex). */
  readonly hash: string;
  readonly parentHash: string;
  /** Seconds since the Unix epoch, as the block header states it. */
  readonly timestamp: number;
};

/** One value transfer to a watched address, as the chain shows it (not yet credited: confirmations are the scanner's job). */
export type ObservedTransfer = {
  /** Registry chain id, e.g. `eth`. */
  readonly chain: string;
  /** Registry asset id, e.g. `ETH`, `USDT`. */
  readonly asset: string;
  readonly txid: string;
  /** Log index for tokens, output index for UTXO chains, -1 for a native EVM value transfer. */
  readonly outputIndex: number;
  /** The watched address, in the chain's canonical form (the form `isWatched` was asked about). */
  readonly to: string;
  /** The sender where the chain has one (EVM); null where it has none (UTXO inputs). */
  readonly from: string | null;
  /** Base units (wei, token base units, satoshi); always > 0. */
  readonly amount: bigint;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** UTXO chains: the output's scriptPubKey (hex), what the UTXO set records; absent on EVM chains. */
  readonly script?: string;
};

/** UTXO chains: an input of a block's transaction spending one of the outputs the caller asked about. */
export type ObservedSpend = {
  /** The spending transaction. */
  readonly txid: string;
  /** The output it spends. */
  readonly prevTxid: string;
  readonly prevVout: number;
};

/**
 * A mined transaction sent by one of our own addresses (a withdrawal, a sweep), as its receipt shows it: what the
 * withdrawal pipeline needs to settle it, whether it succeeded or not (a failed transaction still burned its fee and
 * used its nonce).
 */
export type OutgoingTx = {
  readonly txid: string;
  /** The sender, in the chain's canonical form (the form `isOutgoing` was asked about). */
  readonly from: string;
  /** The recipient (EVM: the called contract for a token transfer); null for a contract creation. */
  readonly to: string | null;
  /** `failed`: mined but reverted; nothing moved except the fee. */
  readonly status: 'success' | 'failed';
  readonly gasUsed: bigint;
  /** Wei per gas actually paid (EIP-1559: base fee + the tip, capped by maxFeePerGas). */
  readonly effectiveGasPrice: bigint;
  /** gasUsed x effectiveGasPrice: the wei the sender's balance lost beyond any value moved. */
  readonly fee: bigint;
  readonly blockNumber: number;
  readonly blockHash: string;
  /** The transaction's index in its block. */
  readonly txIndex: number;
  /**
   * The ERC20 Transfer logs of the chain's configured token contracts this transaction emitted (successful ones only:
   * a revert emits none), in log order: what a token withdrawal really moved. A token that returns false instead of
   * reverting leaves a successful transaction without one. Empty on chains without tokens.
   */
  readonly tokenTransfers: readonly OutgoingTokenTransfer[];
};

/** A Transfer log of a configured token contract in an outgoing transaction. Addresses lower-case. */
export type OutgoingTokenTransfer = {
  readonly asset: string;
  readonly contract: string;
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly logIndex: number;
};

/** A block, the transfers in it to watched addresses, and the transactions in it sent by our own addresses. */
export type ScannedBlock = {
  readonly block: BlockRef;
  /** In chain order (transaction, then log or output index). */
  readonly transfers: ObservedTransfer[];
  /** Transactions sent by addresses `isOutgoing` accepts, successful or not, in chain order; empty without `isOutgoing`. */
  readonly outgoing: OutgoingTx[];
  /** Transactions in the block, watched or not: for the scanner's throughput figures. */
  readonly txCount: number;
  /** UTXO chains: inputs spending outputs `isWatchedOutput` accepts, in chain order; absent on EVM chains. */
  readonly spends?: ObservedSpend[];
};

/** Fees for an EIP-1559 transaction, in wei per gas. */
export type Eip1559FeeEstimate = {
  readonly kind: 'eip1559';
  /** The base fee of the next block (known exactly one block ahead). */
  readonly baseFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** 2 x baseFeePerGas + maxPriorityFeePerGas: still enough after six full blocks (+12.5 % each). */
  readonly maxFeePerGas: bigint;
};

/** What `feeEstimate` returns, by fee model (UTXO chains will add a fee rate per virtual byte). */
export type FeeEstimate = Eip1559FeeEstimate;

/**
 * One chain, as the deposit scanner and the withdrawal sender see it. Chain-agnostic: EVM and UTXO chains implement
 * it alike. Errors are WalletErrors: UNAVAILABLE (node unreachable, retry), TIMEOUT (no answer in time, retry),
 * INTERNAL (node answered malformed or inconsistent data), VALIDATION_FAILED (bad input, or a transaction the node
 * rejects), CONFLICT (broadcast: the transaction's slot is taken, see {@link ChainAdapter.broadcast}).
 */
export interface ChainAdapter<Fee extends FeeEstimate = FeeEstimate> {
  /** Registry chain id, e.g. `eth`. */
  readonly chain: string;

  /** The latest block. */
  head(): Promise<BlockRef>;

  /**
   * The header of block `number`, without its transactions (cheap: for walking back over a reorg).
   * @returns null when the block is beyond the head
   */
  blockRef(number: number): Promise<BlockRef | null>;

  /**
   * Block `number`, its transfers to watched addresses, and the transactions our own addresses sent in it. Only
   * successful transfers of the chain's configured assets with an amount > 0 are reported as transfers; outgoing
   * transactions are reported whatever their status.
   * @param isWatched asked with addresses in the chain's canonical form (EVM: lower-case 0x hex), possibly many
   * times per block: it must be fast (a Set lookup)
   * @param isOutgoing asked with each transaction's sender, in the same form and as often: true for the addresses
   * whose transactions the caller settles (hot wallets). Without it, `outgoing` is empty
   * @param isWatchedOutput UTXO chains: asked with each input's previous output; true for the outputs whose spend the
   * caller records (its unspent outputs). Ignored by chains without outputs (EVM)
   * @returns null when the block is beyond the head
   */
  scanBlock(
    number: number,
    isWatched: (address: string) => boolean,
    isOutgoing?: (from: string) => boolean,
    isWatchedOutput?: (txid: string, vout: number) => boolean,
  ): Promise<ScannedBlock | null>;

  /**
   * The form addresses are compared in: what `isWatched` is asked with, and what stored deposit addresses are turned
   * into before they are watched (EVM: lower-case hex; UTXO: the canonical form of @wallet/keys `validateAddress`).
   */
  canonicalAddress(address: string): string;

  /** Whether blocks create outputs that are spent later (UTXO chains): the scanner then keeps the chain's UTXO set. */
  readonly tracksOutputs: boolean;

  /**
   * Sends a signed transaction. Idempotent: sending one the node already has in its pool returns its id again.
   * @param rawTx the serialized signed transaction (EVM: 0x hex)
   * @returns the transaction id
   * @throws WalletError CONFLICT with `details.reason` `nonce_used` (EVM: a transaction with this nonce is mined,
   * possibly this very one: look its receipt up) or `underpriced` (a pending transaction with this nonce pays as
   * much or more, or the fee is below the node's minimum); VALIDATION_FAILED with `details.reason`
   * `insufficient_funds`, or with the node's `details.rpcMessage` for any other refusal
   */
  broadcast(rawTx: string): Promise<string>;

  /** Current fees for a new transaction. */
  feeEstimate(): Promise<Fee>;

  /**
   * Calls `onHead` whenever the node announces a new head (where the node offers subscriptions), so a
   * scanner need not wait for its next poll. Absent when the adapter has no subscription endpoint.
   * @returns a function that stops watching
   */
  watchHeads?(onHead: (number: number) => void): () => void;

  /** Closes the node connections; the adapter is unusable afterwards. */
  close(): Promise<void>;
}
