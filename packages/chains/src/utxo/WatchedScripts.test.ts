import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WatchedScripts } from './WatchedScripts.js';

const p2wpkh = (hash: Uint8Array): Buffer => Buffer.concat([Buffer.of(0x00, 0x14), hash]);

describe('WatchedScripts', () => {
  it('finds every added script with its value across growth, and nothing else', () => {
    const set = new WatchedScripts();
    const scripts = Array.from({ length: 20_000 }, () => p2wpkh(randomBytes(20)));
    scripts.forEach((script, i) => expect(set.add(script, i)).toBe(true));
    expect(set.size).toBe(20_000);
    scripts.forEach((script, i) => expect(set.get(script)).toBe(i));
    // a view into a bigger buffer, as the block parser gives it
    const block = Buffer.concat([randomBytes(7), scripts[123]!, randomBytes(9)]);
    expect(set.get(block.subarray(7, 7 + 22))).toBe(123);
    // read in place: the same answer at an offset, and nothing for the bytes around it
    expect(set.getAt(block, 7, 22)).toBe(123);
    expect(set.getAt(block, 6, 22)).toBeUndefined();
    expect(set.getAt(block, 7, 21)).toBeUndefined();
    for (let i = 0; i < 20_000; i++) expect(set.has(p2wpkh(randomBytes(20)))).toBe(false);
  });

  it('tells scripts apart by length and by every byte', () => {
    const set = new WatchedScripts();
    const hash = randomBytes(20);
    const p2pkh = Buffer.concat([Buffer.of(0x76, 0xa9, 0x14), hash, Buffer.of(0x88, 0xac)]);
    set.add(p2wpkh(hash), 1);
    expect(set.get(p2pkh)).toBeUndefined();
    expect(set.get(p2wpkh(hash).subarray(0, 21))).toBeUndefined();
    for (let i = 0; i < 22; i++) {
      const changed = p2wpkh(hash);
      changed[i]! ^= 0x01;
      expect(set.has(changed)).toBe(false);
    }
    expect(set.get(Buffer.alloc(0))).toBeUndefined();
    expect(set.add(Buffer.alloc(0), 7)).toBe(true);
    expect(set.get(Buffer.alloc(0))).toBe(7);
  });

  it('keeps the first value of a script added twice; refuses long scripts and bad values', () => {
    const set = new WatchedScripts();
    const script = p2wpkh(randomBytes(20));
    expect(set.add(script, 5)).toBe(true);
    expect(set.add(Buffer.from(script), 6)).toBe(false);
    expect(set.get(script)).toBe(5);
    expect(set.size).toBe(1);
    expect(() => set.add(randomBytes(35), 1)).toThrow(RangeError);
    expect(set.has(randomBytes(35))).toBe(false);
    expect(() => set.add(randomBytes(22), -1)).toThrow(RangeError);
    expect(() => set.add(randomBytes(22), 2 ** 32)).toThrow(RangeError);
  });

  it('copies the script it is given', () => {
    const set = new WatchedScripts();
    const script = p2wpkh(randomBytes(20));
    const kept = Buffer.from(script);
    set.add(script, 1);
    script.fill(0);
    expect(set.get(kept)).toBe(1);
  });

  it('holds 1,000,000 scripts in under 64 MB of arrays', () => {
    const set = new WatchedScripts();
    const hash = Buffer.alloc(20);
    for (let i = 0; i < 1_000_000; i++) {
      hash.writeUInt32LE(i, 0);
      hash.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, 16);
      set.add(p2wpkh(hash), i);
    }
    expect(set.size).toBe(1_000_000);
    expect(set.byteLength).toBeLessThan(64 * 1024 * 1024);
    hash.writeUInt32LE(777_777, 0);
    hash.writeUInt32LE(Math.imul(777_777, 2654435761) >>> 0, 16);
    expect(set.get(p2wpkh(hash))).toBe(777_777);
  });
});
