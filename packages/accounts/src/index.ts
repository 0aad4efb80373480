export { type Account, createAccount, getAccount } from './accounts.js';
export { type DepositAddress, type DeriveAddress, accountOfAddress, createAddress, listAddresses } from './addresses.js';
export { type Client, type ClientStatus, clientCredentials, createClient, disableClient, listClients } from './clients.js';
export { type NodeRow, type NodeState, listNodes, setNodeState } from './nodes.js';
