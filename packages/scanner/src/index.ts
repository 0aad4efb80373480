export type {
  AddressIndex,
  BlockRef,
  BlockSource,
  OutpointSet,
  SeenInputs,
  SeenOutgoing,
  SeenSpend,
  SeenTokenTransfer,
  SeenTransfer,
} from './blockSource.js';
export { ChainScanner, type ChainScannerOptions, type StepResult } from './ChainScanner.js';
export { type Owner, WatchedAddresses, walletOwnerId } from './WatchedAddresses.js';
export { type Fence, withFence } from './withFence.js';
export { type Leadership, campaign } from './LeaderElection.js';
export { type ScannerMetrics, ScannerService, type ScannerServiceOptions } from './ScannerService.js';
export { HotWallets, type OutgoingMatch, type SpendMatch } from './HotWallets.js';
