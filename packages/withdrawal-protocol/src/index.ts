/**
 * The withdrawal protocol between transrv (which owns the withdrawal rows and the ledger) and signsrv (which owns the
 * decisions, signed transactions and alarms): what both sides must agree on, in one place both import.
 */
export { type WithdrawalRow } from './WithdrawalRow.js';
export { WithdrawalStatus, inFlightStatuses, isForward, predecessorsOf, terminalStatuses, withdrawalStatuses } from './WithdrawalStatus.js';
export { type LocalhashFields, computeLocalhash, localhashOfRow } from './localhash.js';
export { BlockoutRequest, BlockoutResponse, ResponseType, encodeMessage } from './messages.js';
export { blockoutKeys } from './streams.js';
export { AlertKind, AlertSource, alertTables, raiseAlert, raiseAlertOnce, raiseNodeAlert, raiseNodeAlertOnce } from './raiseAlert.js';
export { AlertCause, type AlertDescription, alertCatalogue, alertCauseCatalogue, alertKinds, describeAlert } from './alertCatalogue.js';
export { OperatedRole, WalletAddressRole, operatedRoles } from './operatedAddresses.js';
export { type ScreenedDestination, invalidDestination, screenDestination } from './screenDestination.js';
