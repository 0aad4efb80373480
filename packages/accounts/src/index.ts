export { type Account, createAccount, getAccount, listAccounts } from './accounts.js';
export { type DepositAddress, type DeriveAddress, accountOfAddress, createAddress, listAddresses } from './addresses.js';
export {
  type ClientCredentials,
  type ClientKey,
  type ClientKeyLimits,
  type ClientKeyStatus,
  clientCredentials,
  clientKeySecrets,
  clientKeyIds,
  createClientKey,
  listClientKeys,
  maxSecretOverlapMs,
  rotateClientKey,
  setClientKeyStatus,
} from './clientKeys.js';
export {
  type Client,
  type ClientStatus,
  createClient,
  disableClient,
  enableClient,
  firstKeyLimits,
  listClients,
  rotateClientSecret,
} from './clients.js';
export { type NodeRow, type NodeState, listNodes, setNodeState } from './nodes.js';
