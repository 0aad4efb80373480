export type {
  BlockRef,
  ChainAdapter,
  Eip1559FeeEstimate,
  FeeEstimate,
  ObservedTransfer,
  OutgoingTokenTransfer,
  OutgoingTx,
  ScannedBlock,
} from './ChainAdapter.js';
export { erc20TransferTopic } from './decodeTransferLog.js';
export { type EvmAdapter, type EvmAdapterOptions, type EvmCall, createEvmAdapter } from './EvmAdapter.js';
export { type HeadWatch, watchNewHeads } from './watchNewHeads.js';
// Dev and test tooling: a private anvil on a free port (tests and benchmarks that must not disturb the stack's).
export { type AnvilProcess, startAnvil } from './startAnvil.js';
