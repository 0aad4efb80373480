import type { Db } from '@wallet/db';
import { WalletError } from '@wallet/errors';

export type NodeState = 'active' | 'draining';

export type NodeRow = { readonly nodeId: string; readonly state: NodeState; readonly boundAccounts: bigint };

/** Every transrv node ever started, with its state and bound-account count. */
export async function listNodes(db: Db): Promise<NodeRow[]> {
  const rows = await db('transrv_nodes').orderBy('node_id').select<{ node_id: string; state: NodeState; bound_accounts: string }[]>();
  return rows.map((r) => ({ nodeId: r.node_id, state: r.state, boundAccounts: BigInt(r.bound_accounts) }));
}

/**
 * Ops: `draining` stops new accounts from binding to the node (its accounts stay on it for life).
 * @throws WalletError NOT_FOUND for a node that never started
 */
export async function setNodeState(db: Db, nodeId: string, state: NodeState): Promise<NodeRow> {
  const updated = await db('transrv_nodes').where({ node_id: nodeId }).update({ state });
  if (updated === 0 && !(await db('transrv_nodes').where({ node_id: nodeId }).first())) {
    throw new WalletError('NOT_FOUND', `no transrv node ${nodeId}`);
  }
  const node = (await listNodes(db)).find((n) => n.nodeId === nodeId);
  if (!node) throw new WalletError('NOT_FOUND', `no transrv node ${nodeId}`);
  return node;
}
