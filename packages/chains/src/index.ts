export type {
  AddressIndex,
  AddressMatcher,
  BlockInputs,
  BlockRef,
  ChainAdapter,
  Eip1559FeeEstimate,
  FeeEstimate,
  FeeRateEstimate,
  ObservedSpend,
  ObservedTransfer,
  OutgoingTokenTransfer,
  OutgoingTx,
  OutpointSet,
  ScannedBlock,
} from './ChainAdapter.js';
export { type ChainAdapterSpec, createChainAdapter } from './createChainAdapter.js';
export { JsonRpcClient } from './JsonRpcClient.js';
export { type ChainFamily, chainFamily, payoutChains } from './chainFamily.js';
export { RESERVED_EVM_ADDRESSES_BELOW, type ReservedReason, reservedEvmDestination } from './reservedEvmDestination.js';
export { erc20TransferTopic } from './decodeTransferLog.js';
export { type EvmAdapter, type EvmAdapterOptions, type EvmCall, createEvmAdapter } from './EvmAdapter.js';
export { isEvmAdapter } from './isEvmAdapter.js';
export { type HeadWatch, watchNewHeads } from './watchNewHeads.js';
// UTXO chains (Bitcoin, Litecoin): raw block parsing, scripts, the node's RPC.
export { type BitcoinRpcClientOptions, type BlockchainInfo, BitcoinRpcClient } from './utxo/BitcoinRpcClient.js';
export { type BlockHeader, type ParsedBlock, parseBlockHeader, parseRawBlock } from './utxo/parseRawBlock.js';
export { type OutPoint, type ParsedTx, type RawParseOptions, type TxOutput, parseRawTransaction } from './utxo/parseRawTransaction.js';
export { type UtxoAdapter, type UtxoAdapterOptions, type UtxoFeePolicy, createUtxoAdapter, isUtxoAdapter } from './utxo/UtxoAdapter.js';
export { addressToScript, scriptToAddress } from './utxo/addressScript.js';
export { type DepositScriptsParams, DepositScriptKind, depositScripts, keyHashScripts } from './utxo/depositScripts.js';
export { MAX_WATCHED_SCRIPT_BYTES, WatchedScripts } from './utxo/WatchedScripts.js';
export { EvmAddressIndex } from './EvmAddressIndex.js';
