import type { TransServiceService } from '@wallet/proto';
import { Caller, type MethodCallers } from '@wallet/rpc';

const { gatesrv, transrv } = Caller;

/**
 * Who may call each TransService method (docs/operations-tls.md, Authorization): the gateway for the client API, other
 * transrv nodes for the credit leg of a cross-node transfer. No other service and not walletctl calls a ledger node
 * today. A method with no caller in the code is closed ([]); opening one is a reviewed change of this table.
 */
export const transCallers: MethodCallers<typeof TransServiceService> = {
  // No caller today.
  getInfo: [],
  getBalances: [gatesrv],
  listLedger: [gatesrv],
  transfer: [gatesrv],
  // Node to node only: it credits an account without a debit on this node (services/transrv/src/main.ts).
  creditTransfer: [transrv],
  // No caller today (the client-scoped read is getClientTransfer); it reads any client's transfer.
  getTransfer: [],
  listDeposits: [gatesrv],
  createWithdrawal: [gatesrv],
  listWithdrawals: [gatesrv],
  getWithdrawal: [gatesrv],
  cancelWithdrawal: [gatesrv],
  listClientDeposits: [gatesrv],
  listClientWithdrawals: [gatesrv],
  listClientTransfers: [gatesrv],
  getClientTransfer: [gatesrv],
  getReservesProof: [gatesrv],
  listEvents: [gatesrv],
  createWebhook: [gatesrv],
  listWebhooks: [gatesrv],
  getWebhook: [gatesrv],
  updateWebhook: [gatesrv],
  deleteWebhook: [gatesrv],
  rotateWebhookSecret: [gatesrv],
  testWebhook: [gatesrv],
  redeliverWebhook: [gatesrv],
  listWebhookDeliveries: [gatesrv],
  createEmailRecipient: [gatesrv],
  listEmailRecipients: [gatesrv],
  getEmailRecipient: [gatesrv],
  updateEmailRecipient: [gatesrv],
  deleteEmailRecipient: [gatesrv],
  listFeeRates: [gatesrv],
  listFiatRates: [gatesrv],
  createPaymentRequest: [gatesrv],
  getPaymentRequest: [gatesrv],
  listPaymentRequests: [gatesrv],
  createRedPacket: [gatesrv],
  getRedPacket: [gatesrv],
  claimRedPacket: [gatesrv],
};
