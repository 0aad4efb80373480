import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UtxoOutpointSet } from './UtxoOutpointSet.js';

/** The 36 bytes of an outpoint as a block's input holds them: txid reversed (internal order), vout little-endian. */
const inBlock = (txid: string, vout: number): Buffer => {
  const b = Buffer.alloc(36);
  Buffer.from(txid, 'hex').reverse().copy(b);
  b.writeUInt32LE(vout, 32);
  return b;
};

describe('UtxoOutpointSet', () => {
  it('finds an outpoint by txid and vout, and by its bytes in a block at any offset; nothing else', () => {
    const set = new UtxoOutpointSet();
    const txids = Array.from({ length: 2000 }, () => randomBytes(32).toString('hex'));
    txids.forEach((t, i) => set.add(t, i % 3));
    set.add(txids[0]!, 0); // twice: still one
    expect(set.size).toBe(2000);
    txids.forEach((t, i) => {
      expect(set.has(t, i % 3)).toBe(true);
      expect(set.has(t, (i % 3) + 1)).toBe(false);
      const block = Buffer.concat([randomBytes(5), inBlock(t, i % 3), randomBytes(3)]);
      expect(set.hasAt(block, 5)).toBe(true);
      expect(set.hasAt(block, 4)).toBe(false);
    });
    for (let i = 0; i < 2000; i++) expect(set.hasAt(inBlock(randomBytes(32).toString('hex'), 0), 0)).toBe(false);
  });

  it('tells apart outpoints with the same fingerprint (txid bytes 0-3 xor vout), and deletes one of them only', () => {
    const set = new UtxoOutpointSet();
    // a and b share the fingerprint: same first 4 internal bytes, same vout, different txids
    const internal = randomBytes(32);
    const other = Buffer.from(internal);
    other[31]! ^= 0xff;
    const a = Buffer.from(internal).reverse().toString('hex');
    const b = Buffer.from(other).reverse().toString('hex');
    set.add(a, 7);
    expect(set.hasAt(inBlock(b, 7), 0)).toBe(false);
    set.add(b, 7);
    expect(set.delete(a, 7)).toBe(true);
    expect(set.delete(a, 7)).toBe(false);
    expect(set.hasAt(inBlock(a, 7), 0)).toBe(false);
    expect(set.hasAt(inBlock(b, 7), 0)).toBe(true);
    expect(set.size).toBe(1);
  });
});
