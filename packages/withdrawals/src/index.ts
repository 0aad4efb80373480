export { RequestRelay, type RequestRelayOptions } from './RequestRelay.js';
export { type Withdrawal, withdrawalFromRow } from './Withdrawal.js';
export { type ResponseOutcome, applyResponse } from './applyResponse.js';
export { applyResponses } from './applyResponses.js';
export { type FeeBookingCrashPoint, bookConsolidationFees, bookSweepFees, bookTreasuryMoveFees } from './bookConsolidationFees.js';
export { cancelWithdrawal } from './cancelWithdrawal.js';
export { internalCreditOf } from './internalCreditOf.js';
export { type WithdrawalRequest, checkWithdrawalRequest, createWithdrawal } from './createWithdrawal.js';
export {
  type ClientWithdrawalFilter,
  type WithdrawalView,
  getWithdrawal,
  listClientWithdrawals,
  listWithdrawals,
  withdrawalEvents,
} from './listWithdrawals.js';
export { releaseWithdrawal } from './releaseWithdrawal.js';
export { type InternalSettlement, settleInternalWithdrawals } from './settleInternalWithdrawals.js';
export { type WithdrawalSettlement, settleWithdrawals } from './settleWithdrawals.js';
export { type TransitionRequest, transition } from './transition.js';
export { STAGE_COUNT_CAP, type WithdrawalStageStat, withdrawalStageStats } from './withdrawalStageStats.js';
