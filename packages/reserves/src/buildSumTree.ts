import { MAX_SUM, PADDING_HASH, type SumNode, hashBytes, leafNode, parentNode } from './nodeHash.js';
import { ReservesError } from './ReservesError.js';

/** One liability: an account's commitment (64 hex characters) and what the exchange owes it, in base units. */
export type SumLeaf = { readonly commitment: string; readonly balance: bigint };

/** One step of an inclusion proof, from the leaf up: the sibling node and the side it sits on. */
export type ProofStep = { readonly hash: string; readonly sum: bigint; readonly side: 'left' | 'right' };

/** A built tree. `levels[0]` are the leaves' nodes, the last level is the root alone; padding is not stored. */
export type SumTree = {
  readonly root: string;
  readonly total: bigint;
  readonly leafCount: number;
  readonly levels: readonly (readonly SumNode[])[];
  /** The inclusion proof of the leaf at `index` (0-based, in the order the leaves were given). */
  proof(index: number): ProofStep[];
};

const padding: SumNode = { hash: PADDING_HASH, sum: 0n };

/**
 * Builds the Merkle sum tree of `leaves`, in their order. A level with an odd number of nodes (more than one) pairs
 * its last node with the padding node (32 zero bytes, sum 0); a tree of one leaf has that leaf as its root.
 * @throws ReservesError EMPTY_TREE with no leaf, NEGATIVE_BALANCE, BALANCE_TOO_LARGE (beyond 2^256 - 1),
 *   TOTAL_TOO_LARGE, INVALID_COMMITMENT
 */
export function buildSumTree(leaves: readonly SumLeaf[]): SumTree {
  if (leaves.length === 0) throw new ReservesError('EMPTY_TREE', 'a sum tree needs at least one leaf');
  const first = leaves.map((leaf, index) => {
    if (leaf.balance < 0n) {
      throw new ReservesError('NEGATIVE_BALANCE', `leaf ${index} has a negative balance`, { index, balance: leaf.balance.toString() });
    }
    if (leaf.balance > MAX_SUM) throw new ReservesError('BALANCE_TOO_LARGE', `leaf ${index}'s balance does not fit in 32 bytes`, { index });
    hashBytes(leaf.commitment, `leaf ${index}'s commitment`);
    return leafNode(leaf.commitment, leaf.balance);
  });
  const levels: SumNode[][] = [first];
  let level = first;
  while (level.length > 1) {
    const next: SumNode[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(parentNode(level[i]!, level[i + 1] ?? padding));
    levels.push(next);
    level = next;
  }
  const top = level[0]!;
  return {
    root: top.hash,
    total: top.sum,
    leafCount: leaves.length,
    levels,
    proof: (index) => proofOf(levels, index),
  };
}

/**
 * The inclusion proof of leaf `index` from a tree's levels (as {@link SumTree.levels} holds them): at each level but
 * the root, the sibling of the node on the path (the padding node past the end of an odd level).
 * @throws ReservesError LEAF_INDEX_OUT_OF_RANGE
 */
export function proofOf(levels: readonly (readonly SumNode[])[], index: number): ProofStep[] {
  const leafCount = levels[0]?.length ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= leafCount) {
    throw new ReservesError('LEAF_INDEX_OUT_OF_RANGE', `no leaf ${index} in a tree of ${leafCount}`, { index, leafCount });
  }
  const path: ProofStep[] = [];
  let i = index;
  for (let l = 0; l < levels.length - 1; l++) {
    const sibling = levels[l]![i ^ 1] ?? padding;
    path.push({ hash: sibling.hash, sum: sibling.sum, side: i % 2 === 0 ? 'right' : 'left' });
    i >>= 1;
  }
  return path;
}
