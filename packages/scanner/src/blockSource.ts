/** A block as the scanner tracks it: enough to detect a reorg (parent hash) and to re-check a credit. */
export type BlockRef = { readonly number: number; readonly hash: string; readonly parentHash: string };

/** A value transfer to some address, seen in a block. */
export type SeenTransfer = {
  readonly asset: string;
  readonly txid: string;
  /** Log index for tokens, output index for UTXO chains, -1 for a native EVM value transfer. */
  readonly outputIndex: number;
  /** Canonical form, as the watched set stores it. */
  readonly to: string;
  readonly amount: bigint;
  /** UTXO chains: the output's scriptPubKey (hex), recorded in the UTXO set. */
  readonly script?: string;
};

/** UTXO chains: an input spending one of our outputs. */
export type SeenSpend = {
  /** The spending transaction. */
  readonly txid: string;
  readonly prevTxid: string;
  readonly prevVout: number;
};

/** A transaction sent from a hot wallet, seen in a block, succeeded or reverted. */
export type SeenOutgoing = {
  readonly txid: string;
  /** Canonical form. */
  readonly from: string;
  readonly status: 'success' | 'failed';
  /** Native base units the chain burned for it. */
  readonly fee: bigint;
  /** Token transfers (of the chain's listed contracts) it made, where the chain has tokens; recorded for settlement. */
  readonly tokenTransfers?: readonly SeenTokenTransfer[];
};

/** A Transfer log of a listed token contract in a hot wallet's transaction. Addresses in canonical (lower-case) form. */
export type SeenTokenTransfer = {
  readonly contract: string;
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly logIndex: number;
};

/**
 * What the scanner needs from a chain: the subset of @wallet/chains' ChainAdapter it uses, so the
 * scanner depends on behaviour, not on an implementation.
 */
export type BlockSource = {
  head(): Promise<BlockRef>;
  blockRef(number: number): Promise<BlockRef | null>;
  /**
   * The block at `number` with the transfers to watched addresses and (UTXO chains) the inputs spending outputs
   * `isWatchedOutput` accepts; null beyond the head.
   */
  scanBlock(
    number: number,
    isWatched: (address: string) => boolean,
    isOutgoing?: (from: string) => boolean,
    isWatchedOutput?: (txid: string, vout: number) => boolean,
  ): Promise<{
    block: BlockRef;
    transfers: readonly SeenTransfer[];
    outgoing?: readonly SeenOutgoing[];
    spends?: readonly SeenSpend[];
  } | null>;
  /** Whether the chain's transfers are outputs spent later (UTXO chains): the scanner then keeps the UTXO set. */
  readonly tracksOutputs?: boolean;
  /** New-head notifications where the node offers them; the scanner polls regardless. */
  watchHeads?(onHead: (number: number) => void): () => void;
};
