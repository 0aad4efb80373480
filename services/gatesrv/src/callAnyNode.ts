import { WalletError, isWalletError } from '@wallet/errors';
import type { ShardClients, TransClient } from '@wallet/routing';

/**
 * Runs a read that any transrv node can answer (it reads the shared database, not an account's shard) on one live
 * node, and on the next when that one vanished mid-call. Only for reads by object id: a request about an account
 * goes to the account's node or nowhere (ShardClients.call).
 * @param shards the live transrv nodes
 * @param call the read, given one node's client
 * @returns what the first node to answer said (its refusals included: they are the answer, not an outage)
 * @throws WalletError SHARD_UNAVAILABLE when no node is live or none answered
 */
export async function callAnyNode<T>(shards: ShardClients, call: (client: TransClient) => Promise<T>): Promise<T> {
  const nodes = shards.liveNodes();
  // Start at a random node so these reads spread over the cluster instead of all landing on the first node.
  const start = Math.floor(Math.random() * nodes.length);
  let lastError: unknown;
  for (let i = 0; i < nodes.length; i++) {
    const nodeId = nodes[(start + i) % nodes.length]!;
    try {
      return await shards.call(nodeId, call);
    } catch (error) {
      if (!isWalletError(error, 'SHARD_UNAVAILABLE')) throw error;
      lastError = error;
    }
  }
  throw new WalletError('SHARD_UNAVAILABLE', 'no transrv node is available', { cause: lastError });
}
