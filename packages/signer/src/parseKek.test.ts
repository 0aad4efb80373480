import { describe, expect, it } from 'vitest';
import { parseKek } from './parseKek.js';

const hex = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

describe('parseKek', () => {
  it('parses 64 hex characters in either case into 32 bytes', () => {
    expect(Buffer.from(parseKek(hex)).toString('hex')).toBe(hex);
    expect(Buffer.from(parseKek(hex.toUpperCase())).toString('hex')).toBe(hex);
    expect(parseKek(hex)).toBeInstanceOf(Uint8Array);
  });

  it.each([
    ['63 characters', hex.slice(1)],
    ['65 characters', `${hex}0`],
    ['a 0x prefix', `0x${hex}`],
    ['a non-hex character', `${hex.slice(1)}g`],
    ['a trailing newline', `${hex}\n`],
    ['an empty string', ''],
  ])('refuses %s, without echoing it', (_, bad) => {
    let error: unknown;
    try {
      parseKek(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toEqual(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const shown = JSON.stringify(error) + (error as Error).message;
    expect(shown).not.toContain(hex.slice(1, 30));
  });

  it('returns bytes in memory of their own, leaving no copy in the shared Buffer pool', () => {
    // A key of this test's own, so that no other test's copy of it is in the pool.
    const digits = Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
    const kek = parseKek(digits);
    expect(kek.byteOffset).toBe(0);
    expect(kek.buffer.byteLength).toBe(32);
    // The pool that Buffer.from() and small Buffer.allocUnsafe() carve from, read in place (copying would add a copy).
    const pool = new Uint8Array(Buffer.allocUnsafe(1).buffer);
    const inPool = pool.some((_, i) => i + 32 <= pool.length && kek.every((b, j) => pool[i + j] === b));
    expect(inPool).toBe(false);
  });

  it('refuses a value that is not a string', () => {
    expect(() => parseKek(undefined as unknown as string)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
