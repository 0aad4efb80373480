export {
  type AlertAck,
  AlertComment,
  type AlertFilter,
  AlertId,
  AlertKindFilter,
  type AlertPage,
  type AlertView,
  acknowledgeAlert,
  alertJson,
  getAlert,
  listAlerts,
} from './alerts.js';
export { Auditors } from './Auditors.js';
export { type PayoutLimits } from './checkLimits.js';
export { type PayoutFamilySpec, createPayoutFamily } from './createPayoutFamily.js';
export { EvmPayoutFamily, type EvmPayoutFamilyOptions } from './evm/EvmPayoutFamily.js';
export { EvmSweeps, type EvmSweepsOptions, type SweepRow, SweepStatus } from './evm/EvmSweeps.js';
export { type UtxoBatchPolicy, UtxoPayoutFamily, type UtxoPayoutFamilyOptions } from './utxo/UtxoPayoutFamily.js';
export { type BuildCheck, type ExpectedPayment, type InputKey, checkBuild } from './utxo/checkBuild.js';
export { feeShares } from './utxo/feeShares.js';
export { type AutoConsolidation, type ConsolidationBuilt, UtxoConsolidations } from './utxo/UtxoConsolidations.js';
export { allocateNonce, allocateNonces, initNonceAllocator } from './evm/allocateNonce.js';
export type { BroadcastOutcome, Built, Drafted, InFlightTx, PayoutFamily, SignedPayout, StoredTx } from './PayoutFamily.js';
export { type OperatedAddresses, Payouts, type PayoutsOptions } from './Payouts.js';
export { ResponseRelay, type ResponseRelayOptions } from './ResponseRelay.js';
export { SIGNING_COUNT_CAP, type SigningStats, signingStats } from './signingStats.js';
export { type ApprovalView, type DecidedFilter, type QueueFilter, type ReviewView, pendingReviews } from './reviewView.js';
export { type ApprovalInput } from './ReviewDesk.js';
export { type AuditEntry, type AuditFn } from './review/Audit.js';
export { type Principal, PrincipalRole, autoApprover, automationPrincipal, mayDecide, userPrincipal } from './review/Principal.js';
export {
  type Requirement,
  type ReviewRules,
  ReviewRulesInput,
  type Velocity,
  defaultRules,
  requirementOf,
  rulesToJson,
} from './review/ReviewRules.js';
export {
  type AssetPolicy,
  type SigningControls,
  currentPolicy,
  listPolicies,
  requireAdmin,
  setControls,
  setPaused,
  setPolicy,
  signingControls,
} from './review/policyStore.js';
export {
  type WhitelistEntry,
  type WhitelistState,
  addWhitelistEntry,
  listWhitelist,
  removeWhitelistEntry,
  whitelistState,
} from './review/whitelist.js';
export { velocityOf } from './review/velocityOf.js';
export {
  type AssetHalt,
  RECONCILIATION_ACTOR,
  assetHaltedError,
  assetHalts,
  haltAsset,
  haltedAssets,
  releaseAsset,
} from './review/assetHalts.js';
export {
  type ColdReaders,
  type Liabilities,
  type TreasuryChains,
  type TreasuryFigures,
  liabilitiesByAsset,
  measureTreasury,
} from './treasury/measureTreasury.js';
export { type ReconcileDeps, ReconcileTrigger, type ReconciliationRun, reconcile } from './treasury/reconcile.js';
export { Reconciler, type ReconcilerOptions } from './treasury/Reconciler.js';
export { type ReconciliationRecord, latestReconciliations, reconciliationHistory } from './treasury/reconciliationHistory.js';
export { type Activity, type ReviewRisk, RiskFlag, type RiskSeverity, reviewRisks } from './review/reviewRisk.js';
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
export {
  type ColdTransferPlan,
  type ContractCallInput,
  type MoveFilter,
  MoveKind,
  type MoveRow,
  MoveStatus,
  type MoveView,
  OPEN_MOVE_STATES,
  decideMove,
  evmAddressInput,
  getMove,
  listMoves,
  moveJson,
  planColdTransfer,
  requestContractCall,
} from './treasury/moves.js';
export { EvmMoveSender, type EvmMoveSenderOptions } from './treasury/EvmMoveSender.js';
export { RefillFollower, type RefillFollowerOptions } from './treasury/RefillFollower.js';
export { type AssetTier, type HotReader, Tiers, type TiersOptions } from './treasury/Tiers.js';
export { type TreasuryChainJobs, TreasuryJob, type TreasuryJobOptions } from './treasury/TreasuryJob.js';
export { UtxoRefillFollower, type UtxoRefillFollowerOptions } from './treasury/UtxoRefillFollower.js';
