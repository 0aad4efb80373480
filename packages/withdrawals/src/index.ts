export { RequestRelay, type RequestRelayOptions } from './RequestRelay.js';
export { StreamConsumer, type StreamConsumerOptions, type StreamEntry } from './StreamConsumer.js';
export { type Withdrawal, type WithdrawalRow, withdrawalFromRow } from './Withdrawal.js';
export { WithdrawalStatus, inFlightStatuses, isForward, predecessorsOf, terminalStatuses, withdrawalStatuses } from './WithdrawalStatus.js';
export { type ResponseOutcome, applyResponse } from './applyResponse.js';
export { applyResponses } from './applyResponses.js';
export { cancelWithdrawal } from './cancelWithdrawal.js';
export { internalCreditOf } from './internalCreditOf.js';
export { OperatedRole, operatedRoles } from './operatedAddresses.js';
export { type CrashPoint, crashPoints, noCrashPoints } from './crashPoint.js';
export { type WithdrawalRequest, checkWithdrawalRequest, createWithdrawal } from './createWithdrawal.js';
export { type WithdrawalView, getWithdrawal, listWithdrawals, withdrawalEvents } from './listWithdrawals.js';
export { type LocalhashFields, computeLocalhash, localhashOfRow } from './localhash.js';
export { BlockoutRequest, BlockoutResponse, ResponseType, encodeMessage } from './messages.js';
export { AlertKind, raiseAlert, raiseAlertOnce } from './raiseAlert.js';
export { releaseWithdrawal } from './releaseWithdrawal.js';
export {
  RESERVED_EVM_ADDRESSES_BELOW,
  type ReservedReason,
  type ScreenedDestination,
  invalidDestination,
  reservedEvmDestination,
  screenDestination,
} from './screenDestination.js';
export { type InternalSettlement, settleInternalWithdrawals } from './settleInternalWithdrawals.js';
export { type WithdrawalSettlement, settleWithdrawals } from './settleWithdrawals.js';
export { blockoutKeys } from './streams.js';
export { type TransitionRequest, transition } from './transition.js';
