import { describe, expect, it } from 'vitest';
import { accountCommitment, newClientSalt } from './accountCommitment.js';
import { type ProofStep, type SumLeaf, buildSumTree } from './buildSumTree.js';
import { MAX_SUM, PADDING_HASH } from './nodeHash.js';
import { type ReservesErrorCode, isReservesError } from './ReservesError.js';
import vectors from './vectors.json' with { type: 'json' };
import { verifySumProof } from './verifySumProof.js';

const salt = '11'.repeat(32);
const leavesOf = (n: number): SumLeaf[] =>
  Array.from({ length: n }, (_, i) => ({ commitment: accountCommitment(`acc_${i}`, salt), balance: BigInt(i * 1_000_003 + (i % 3)) }));

function codeOf(f: () => unknown): ReservesErrorCode | undefined {
  try {
    f();
  } catch (e) {
    if (isReservesError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('buildSumTree and verifySumProof', () => {
  it('every leaf of trees of 1 to 33 leaves verifies, and the total is the sum of the balances', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = leavesOf(n);
      const tree = buildSumTree(leaves);
      expect(tree.total).toBe(leaves.reduce((a, l) => a + l.balance, 0n));
      expect(tree.leafCount).toBe(n);
      expect(tree.levels.at(-1)).toEqual([{ hash: tree.root, sum: tree.total }]);
      leaves.forEach((leaf, i) => {
        const path = tree.proof(i);
        expect(path).toHaveLength(Math.ceil(Math.log2(n)));
        expect(verifySumProof(leaf.commitment, leaf.balance, path, tree.root, tree.total)).toBe(true);
      });
    }
  });

  it('a leaf with another leaf’s proof, or any tampered part, fails', () => {
    const leaves = leavesOf(13);
    const tree = buildSumTree(leaves);
    for (let i = 0; i < leaves.length; i++) {
      const { commitment, balance } = leaves[i]!;
      const path = tree.proof(i);
      const ok = (p: readonly ProofStep[], c = commitment, b = balance, root = tree.root, total = tree.total) =>
        verifySumProof(c, b, p, root, total);
      expect(ok(path)).toBe(true);
      expect(ok(path, commitment, balance + 1n)).toBe(false);
      expect(ok(path, commitment, balance, tree.root, tree.total + 1n)).toBe(false);
      expect(ok(path, leaves[(i + 1) % leaves.length]!.commitment)).toBe(false);
      expect(ok(path, commitment, balance, PADDING_HASH)).toBe(false);
      for (let s = 0; s < path.length; s++) {
        const step = path[s]!;
        const at = (changed: ProofStep) => path.map((p, k) => (k === s ? changed : p));
        // a sibling sum moved, even if the claimed total moves with it
        expect(ok(at({ ...step, sum: step.sum + 1n }))).toBe(false);
        expect(ok(at({ ...step, sum: step.sum + 1n }), commitment, balance, tree.root, tree.total + 1n)).toBe(false);
        expect(ok(at({ ...step, hash: flipFirstNibble(step.hash) }))).toBe(false);
        expect(ok(at({ ...step, side: step.side === 'left' ? 'right' : 'left' }))).toBe(false);
        expect(ok(at({ ...step, sum: -1n }))).toBe(false);
        expect(ok(at({ ...step, hash: 'zz' }))).toBe(false);
      }
      expect(ok(path.slice(1))).toBe(false);
      expect(ok([...path, { hash: PADDING_HASH, sum: 0n, side: 'right' }])).toBe(false);
    }
  });

  it('refuses an empty tree, a negative or oversized balance and a total beyond 32 bytes, loudly', () => {
    expect(codeOf(() => buildSumTree([]))).toBe('EMPTY_TREE');
    const c = accountCommitment('acc_x', salt);
    expect(
      codeOf(() =>
        buildSumTree([
          { commitment: c, balance: 1n },
          { commitment: c, balance: -1n },
        ]),
      ),
    ).toBe('NEGATIVE_BALANCE');
    expect(codeOf(() => buildSumTree([{ commitment: c, balance: MAX_SUM + 1n }]))).toBe('BALANCE_TOO_LARGE');
    expect(
      codeOf(() =>
        buildSumTree([
          { commitment: c, balance: MAX_SUM },
          { commitment: c, balance: 1n },
        ]),
      ),
    ).toBe('TOTAL_TOO_LARGE');
    expect(codeOf(() => buildSumTree([{ commitment: 'abc', balance: 1n }]))).toBe('INVALID_COMMITMENT');
    expect(codeOf(() => buildSumTree(leavesOf(2)).proof(2))).toBe('LEAF_INDEX_OUT_OF_RANGE');
    expect(codeOf(() => accountCommitment('acc_x', 'ab'))).toBe('INVALID_SALT');
    expect(codeOf(() => accountCommitment('', salt))).toBe('INVALID_ACCOUNT_ID');
  });

  it('a salt refused is not echoed', () => {
    const secret = 'ab'.repeat(31);
    try {
      accountCommitment('acc_x', secret);
      expect.unreachable();
    } catch (e) {
      expect(JSON.stringify({ m: (e as Error).message, d: (e as { details?: unknown }).details })).not.toContain(secret);
    }
  });

  it('salts are 32 random bytes', () => {
    const a = newClientSalt();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newClientSalt()).not.toBe(a);
  });
});

describe('the worked example of docs/reserves.md (vectors.json, computed outside this package)', () => {
  it('gives the same commitments, leaves, levels, root, total and proofs', () => {
    const leaves = vectors.valid.map((v) => ({ commitment: accountCommitment(v.accountId, v.salt), balance: BigInt(v.balance) }));
    expect(leaves.map((l) => l.commitment)).toEqual(vectors.valid.map((v) => v.commitment));
    const tree = buildSumTree(leaves);
    expect(tree.levels.map((l) => l.map((n) => ({ hash: n.hash, sum: n.sum.toString() })))).toEqual(vectors.levels);
    expect(tree.root).toBe(vectors.root);
    expect(tree.total).toBe(BigInt(vectors.total));
    for (const v of vectors.valid) {
      const path = tree.proof(v.leafIndex);
      expect(path.map((s) => ({ ...s, sum: s.sum.toString() }))).toEqual(v.proof);
      const fromVector = v.proof.map((s) => ({ hash: s.hash, sum: BigInt(s.sum), side: s.side as 'left' | 'right' }));
      expect(verifySumProof(v.commitment, BigInt(v.balance), fromVector, vectors.root, BigInt(vectors.total))).toBe(true);
    }
  });
});

function flipFirstNibble(hex: string): string {
  return (hex[0] === '0' ? '1' : '0') + hex.slice(1);
}
