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

/** A set of outputs by transaction id and index (@wallet/chains OutpointSet): our unspent outputs. */
export type OutpointSet = {
  readonly size: number;
  add(txid: string, vout: number): void;
  delete(txid: string, vout: number): boolean;
  has(txid: string, vout: number): boolean;
};

/** UTXO chains: a block's inputs, matched in chain order against our unspent outputs (@wallet/chains BlockInputs). */
export type SeenInputs = {
  /** The inputs spending outputs in `ours`, in chain order. */
  spends(ours: OutpointSet): readonly SeenSpend[];
};

/** A set of deposit addresses kept the way the source matches blocks fastest (@wallet/chains AddressIndex). */
export type AddressIndex = {
  readonly size: number;
  /** @returns false when already there @throws when the address is not one of the chain */
  add(address: string, value: number): boolean;
  get(address: string): number | undefined;
};

/**
 * What the scanner needs from a chain: the subset of @wallet/chains' ChainAdapter it uses, so the
 * scanner depends on behaviour, not on an implementation.
 */
export type BlockSource = {
  head(): Promise<BlockRef>;
  blockRef(number: number): Promise<BlockRef | null>;
  /**
   * The block at `number` with the transfers to watched addresses (a predicate over canonical addresses, or the
   * index from {@link createAddressIndex}) and, on UTXO chains, its inputs; null beyond the head.
   */
  scanBlock(
    number: number,
    isWatched: ((address: string) => boolean) | AddressIndex,
    isOutgoing?: (from: string) => boolean,
  ): Promise<{
    block: BlockRef;
    transfers: readonly SeenTransfer[];
    outgoing?: readonly SeenOutgoing[];
    inputs?: SeenInputs;
  } | null>;
  /** Whether the chain's transfers are outputs spent later (UTXO chains): the scanner then keeps the UTXO set. */
  readonly tracksOutputs?: boolean;
  /** UTXO chains: an empty set of outpoints that {@link SeenInputs.spends} matches fastest. */
  createOutpointSet?(): OutpointSet;
  /** An empty index of deposit addresses that `scanBlock` matches fastest, where the chain has one (UTXO: by script). */
  createAddressIndex?(): AddressIndex;
  /** New-head notifications where the node offers them; the scanner polls regardless. */
  watchHeads?(onHead: (number: number) => void): () => void;
};
