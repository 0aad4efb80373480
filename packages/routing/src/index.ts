export { AnyInstanceClient } from './AnyInstanceClient.js';
export { ShardClients, type TransClient } from './ShardClients.js';
