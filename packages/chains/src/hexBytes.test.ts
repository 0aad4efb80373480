import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeAsciiHex } from './hexBytes.js';

describe('decodeAsciiHex', () => {
  it('decodes lower- and upper-case digits in place, as Buffer.from(hex) does', () => {
    const raw = randomBytes(4096);
    const text = Buffer.from(`xx${raw.toString('hex')}yy`);
    expect(decodeAsciiHex(text, 2, text.length - 2)).toEqual(raw);
    const upper = Buffer.from(raw.toString('hex').toUpperCase());
    expect(decodeAsciiHex(upper, 0, upper.length)).toEqual(raw);
    expect(decodeAsciiHex(Buffer.from('00ff7A'), 0, 6)).toEqual(Buffer.from([0x00, 0xff, 0x7a]));
    expect(decodeAsciiHex(Buffer.alloc(0), 0, 0)).toEqual(Buffer.alloc(0));
  });

  it('refuses any character that is not a hex digit, an odd length and a range outside the bytes', () => {
    for (const bad of ['0g', 'g0', '0 ', ' 0', '0x', '"0', '0\u00ff', ':0', '/0', '@0', 'G0', '`0']) {
      expect(decodeAsciiHex(Buffer.from(`00${bad}00`, 'latin1'), 0, 6)).toBeNull();
    }
    expect(decodeAsciiHex(Buffer.from('abc'), 0, 3)).toBeNull();
    expect(decodeAsciiHex(Buffer.from('abcd'), 0, 6)).toBeNull();
    expect(decodeAsciiHex(Buffer.from('abcd'), -2, 2)).toBeNull();
  });
});
