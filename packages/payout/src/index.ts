export { Auditors } from './Auditors.js';
export { type PayoutLimits } from './checkLimits.js';
export { type PayoutFamilySpec, createPayoutFamily } from './createPayoutFamily.js';
export { EvmPayoutFamily, type EvmPayoutFamilyOptions } from './evm/EvmPayoutFamily.js';
export { type UtxoBatchPolicy, UtxoPayoutFamily, type UtxoPayoutFamilyOptions } from './utxo/UtxoPayoutFamily.js';
export { type BuildCheck, type ExpectedPayment, type InputKey, checkBuild } from './utxo/checkBuild.js';
export { feeShares } from './utxo/feeShares.js';
export { type AutoConsolidation, type ConsolidationBuilt, UtxoConsolidations } from './utxo/UtxoConsolidations.js';
export { allocateNonce, allocateNonces, initNonceAllocator } from './evm/allocateNonce.js';
export type { BroadcastOutcome, Built, Drafted, InFlightTx, PayoutFamily, SignedPayout, StoredTx } from './PayoutFamily.js';
export { type OperatedAddresses, Payouts, type PayoutsOptions } from './Payouts.js';
export { ResponseRelay, type ResponseRelayOptions } from './ResponseRelay.js';
export { type ReviewView } from './reviewView.js';
export { type IngestOutcome, ingestRequests } from './ingestRequest.js';
export { integrityProblems } from './integrity.js';
export { queueResponse } from './queueResponse.js';
export {
  type CoinCandidate,
  type CoinChoice,
  type CoinChoiceOptions,
  P2WPKH_DUST_LIMIT,
  type PaymentOutput,
  chooseCoins,
  vsizeOf,
} from './utxo/coinSelection.js';
export {
  type LockedUtxo,
  type SelectCoinsOptions,
  expireCoinLocks,
  extendCoinLocks,
  releaseCoins,
  selectAndLockCoins,
} from './utxo/utxoLocks.js';
