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
  /**
   * UTXO chains: the block's inputs, for the caller to match against its unspent outputs block after block (outputs
   * created earlier in the same scan window included); absent on EVM chains.
   */
  readonly inputs?: BlockInputs;
};

/**
 * UTXO chains: the inputs of one block, kept compactly (the previous outputs' bytes, not one object per input), so a
 * caller can fetch blocks concurrently and still match their spends in chain order.
 */
export interface BlockInputs {
  /** How many inputs (coinbase included). */
  readonly size: number;
  /**
   * The inputs spending outputs in `ours`, in chain order.
   * @param ours the caller's outpoints; asked about every input (thousands per block): the adapter's own set
   * ({@link ChainAdapter.createOutpointSet}) is asked without converting inputs that are not in it
   */
  spends(ours: OutpointSet): ObservedSpend[];
}

/** A set of outputs (UTXO chains: our unspent ones), by transaction id (display hex) and output index. */
export interface OutpointSet {
  readonly size: number;
  add(txid: string, vout: number): void;
  /** @returns whether it was there */
  delete(txid: string, vout: number): boolean;
  has(txid: string, vout: number): boolean;
}

/**
 * A set of deposit addresses held the way the chain's blocks are matched fastest: UTXO chains by scriptPubKey bytes
 * (an output is looked up without being turned into an address), in flat arrays (about 50 MB for a million).
 */
export interface AddressIndex {
  readonly size: number;
  /**
   * Watches an address with a number the caller gets back from {@link get}.
   * @returns false (and keeps the first value) when the address is already watched
   * @throws WalletError INVALID_ADDRESS when the address is not one of this chain
   */
  add(address: string, value: number): boolean;
  /** The number given when `address` (in any form the chain accepts) was added; undefined when not watched. */
  get(address: string): number | undefined;
}

/** What `scanBlock` matches outputs against: a predicate over canonical addresses, or the adapter's own index. */
export type AddressMatcher = ((address: string) => boolean) | AddressIndex;

/** Fees for an EIP-1559 transaction, in wei per gas. */
export type Eip1559FeeEstimate = {
  readonly kind: 'eip1559';
  /** The base fee of the next block (known exactly one block ahead). */
  readonly baseFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** 2 x baseFeePerGas + maxPriorityFeePerGas: still enough after six full blocks (+12.5 % each). */
  readonly maxFeePerGas: bigint;
};

/** A fee rate per virtual byte (UTXO chains), never below what the node relays. */
export type FeeRateEstimate = {
  readonly kind: 'feerate';
  /** Whole satoshi per vB, rounded up; within [floorSatPerVbyte, the configured maximum]. */
  readonly satPerVbyte: bigint;
  /** `node`: the node's `estimatesmartfee`; `fallback`: the configured rate (the node had too little data). */
  readonly source: 'node' | 'fallback';
  /** Confirmation target asked for, in blocks. */
  readonly confTarget: number;
  /** The node's relay floor (the higher of its mempool minimum and minimum relay fee), sat/vB rounded up. */
  readonly floorSatPerVbyte: bigint;
  /** The estimate was above the configured maximum and was cut to it. */
  readonly capped: boolean;
};

/** What `feeEstimate` returns, by fee model. */
export type FeeEstimate = Eip1559FeeEstimate | FeeRateEstimate;

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
   * times per block: it must be fast (a Set lookup); or an index from {@link createAddressIndex}, which UTXO chains
   * match by script without encoding every output's address
   * @param isOutgoing asked with each transaction's sender, in the same form and as often: true for the addresses
   * whose transactions the caller settles (hot wallets). Without it, `outgoing` is empty
   * @returns null when the block is beyond the head
   */
  scanBlock(number: number, isWatched: AddressMatcher, isOutgoing?: (from: string) => boolean): Promise<ScannedBlock | null>;

  /** A new, empty index of deposit addresses that `scanBlock` matches fastest (UTXO: by script; EVM: by 20 bytes). */
  createAddressIndex?(): AddressIndex;

  /** UTXO chains: a new, empty set of outpoints that {@link BlockInputs.spends} matches fastest. */
  createOutpointSet?(): OutpointSet;

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
