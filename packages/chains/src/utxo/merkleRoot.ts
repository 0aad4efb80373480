import { sha256d } from './sha256d.js';

/**
 * The merkle root of a block's transaction ids (Bitcoin Core `ComputeMerkleRoot`): pairs hashed level by level, the
 * last hash of an odd level paired with itself.
 * @param leaves 32-byte hashes in internal byte order, in block order; at least one
 * @returns the root in internal byte order, and `mutated`: two identical hashes were paired at some level
 * (CVE-2012-2459: a block with its last transactions repeated has the same root, and must be refused)
 */
export function merkleRoot(leaves: readonly Uint8Array[]): { root: Buffer; mutated: boolean } {
  if (leaves.length === 0) throw new RangeError('merkleRoot needs at least one leaf');
  let level: Buffer[] = leaves.map((leaf) => (Buffer.isBuffer(leaf) ? leaf : Buffer.from(leaf))); // never written to
  let mutated = false;
  const pair = Buffer.allocUnsafe(64);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1] ?? left;
      if (i + 1 < level.length && left.equals(right)) mutated = true;
      left.copy(pair, 0);
      right.copy(pair, 32);
      next.push(sha256d(pair));
    }
    level = next;
  }
  return { root: level[0]!, mutated };
}
