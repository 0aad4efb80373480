import type { ProofStep } from './buildSumTree.js';
import { leafNode, parentNode } from './nodeHash.js';
import { isReservesError } from './ReservesError.js';

/** Longest path a tree can have: one step per bit of a leaf index. */
const MAX_PATH = 64;

/**
 * Checks that a leaf is in the tree with this root and total: folds the path from the leaf up and compares the hash
 * and the sum it reaches. A malformed proof (bad hex, a negative or oversized sum, an unknown side) is `false`.
 * @param commitment the account's commitment, 64 hex characters (recompute it with {@link accountCommitment})
 * @param balance the leaf's balance in base units
 * @param path the siblings from the leaf up, as {@link SumTree.proof} returns them
 * @param root the report's root, 64 hex characters
 * @param total the report's total, in base units
 * @returns true when the path leads from the leaf to exactly `root` and `total`
 */
export function verifySumProof(commitment: string, balance: bigint, path: readonly ProofStep[], root: string, total: bigint): boolean {
  if (path.length > MAX_PATH) return false;
  try {
    let node = leafNode(commitment, balance);
    for (const step of path) {
      if (step.side === 'left') node = parentNode({ hash: step.hash, sum: step.sum }, node);
      else if (step.side === 'right') node = parentNode(node, { hash: step.hash, sum: step.sum });
      else return false;
    }
    return node.hash === root.toLowerCase() && node.sum === total;
  } catch (e) {
    if (isReservesError(e)) return false;
    throw e;
  }
}
