export { Bucket, LedgerKind, SystemAccount, isSystemAccount } from './accounts.js';
export { type Balance, getBalances } from './balances.js';
export { type DatabaseChecks, type InvariantReport, checkInvariants, checkOneDatabase } from './checkInvariants.js';
export { type LedgerShard, checkShards } from './checkShards.js';
export { type NegativeBalance, type UnbalancedJournal, findLedgerBreaks } from './ledgerBreaks.js';
export {
  type ClientDepositFilter,
  type DepositCreditResult,
  type DepositView,
  listClientDeposits,
  listDeposits,
  recordInternalDeposit,
  settleDeposits,
} from './deposits.js';
export { type LedgerLine, listLedger } from './listLedger.js';
export { type Entry, type JournalLine, type PostedLine, assertBalanced, postEntry } from './postEntry.js';
export { metadataFromColumn, metadataToColumn, refuseDuplicateReference } from './references.js';
export { type DeliverCredit, TransferRelay, type TransferRelayOptions } from './TransferRelay.js';
export {
  type ClientTransferFilter,
  type CreditRequest,
  type Transfer,
  type TransferRequest,
  TransferStatus,
  completeTransfer,
  createTransfer,
  creditTransfer,
  getClientTransfer,
  getTransfer,
  listClientTransfers,
  pendingTransfers,
  recordDeliveryFailure,
  recordInternalTransfer,
} from './transfers.js';
export {
  type NewPaymentRequest,
  type PaymentDeposit,
  type PaymentRequest,
  PaymentRequestStatus,
  applyPaymentRequestDeposit,
  createPaymentRequest,
  expirePaymentRequests,
  getPaymentRequest,
  listPaymentRequests,
  reversePaymentRequestDeposit,
} from './paymentRequests.js';
export {
  type ClaimRequest,
  MAX_RED_PACKET_COUNT,
  type NewRedPacket,
  type RedPacket,
  type RedPacketClaim,
  RedPacketMode,
  RedPacketStatus,
  claimRedPacket,
  createRedPacket,
  drawShares,
  expireRedPackets,
  getRedPacket,
} from './redPackets.js';
