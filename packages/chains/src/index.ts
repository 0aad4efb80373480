export type { BlockRef, ChainAdapter, Eip1559FeeEstimate, FeeEstimate, ObservedTransfer, ScannedBlock } from './ChainAdapter.js';
export { erc20TransferTopic } from './decodeTransferLog.js';
export { type EvmAdapter, type EvmAdapterOptions, createEvmAdapter } from './EvmAdapter.js';
export { type HeadWatch, watchNewHeads } from './watchNewHeads.js';
