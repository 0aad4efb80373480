import type { AccountServiceService } from '@wallet/proto';
import { Caller, type MethodCallers } from '@wallet/rpc';

const { gatesrv, walletctl } = Caller;

/**
 * Who may call each AccountService method (docs/operations-tls.md, Authorization): the gateway for authentication and
 * the client API, walletctl for operators (clients, API keys, nodes). transrv and signsrv call accountsrv for nothing.
 * A method with no caller in the code is closed ([]); opening one is a reviewed change of this table.
 */
export const accountCallers: MethodCallers<typeof AccountServiceService> = {
  // No caller today.
  getInfo: [],
  createClient: [walletctl],
  listClients: [walletctl],
  disableClient: [walletctl],
  enableClient: [walletctl],
  rotateClientSecret: [walletctl],
  // Answers a key's secret: the gateway's authentication lookup and nothing else.
  getClientCredentials: [gatesrv],
  createClientKey: [walletctl],
  listClientKeys: [walletctl],
  setClientKeyStatus: [walletctl],
  rotateClientKey: [walletctl],
  createAccount: [gatesrv],
  // The gateway finds an account's node with it (client_id empty); walletctl `accounts show`.
  getAccount: [gatesrv, walletctl],
  listAccounts: [gatesrv],
  getServedChains: [gatesrv],
  createAddress: [gatesrv],
  listAddresses: [gatesrv],
  listNodes: [walletctl],
  setNodeState: [walletctl],
};
