export { type Account, createAccount, getAccount, listAccounts } from './accounts.js';
export { type DepositAddress, type DeriveAddress, accountOfAddress, createAddress, listAddresses } from './addresses.js';
export {
  type Client,
  type ClientCredentials,
  type ClientStatus,
  clientCredentials,
  createClient,
  disableClient,
  enableClient,
  listClients,
  maxSecretOverlapMs,
  rotateClientSecret,
} from './clients.js';
export { type NodeRow, type NodeState, listNodes, setNodeState } from './nodes.js';
