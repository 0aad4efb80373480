import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from './base32.js';
import vectors from './vectors/base32.json' with { type: 'json' };

describe('base32 (RFC 4648)', () => {
  it.each(vectors.valid)('$description', ({ ascii, base32 }) => {
    expect(base32Encode(Buffer.from(ascii), base32.endsWith('=') || base32.length === 0)).toBe(base32);
    expect(Buffer.from(base32Decode(base32)).toString()).toBe(ascii);
    // unpadded, lower case and in groups, as people copy it from an app
    const loose = base32
      .replace(/=+$/, '')
      .toLowerCase()
      .replace(/(.{4})/g, '$1 ');
    expect(Buffer.from(base32Decode(loose)).toString()).toBe(ascii);
  });

  it.each(vectors.invalid)('refuses $description', ({ base32 }) => {
    expect(() => base32Decode(base32)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('round-trips every length up to 40 bytes', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(Buffer.from(base32Decode(base32Encode(bytes)))).toEqual(bytes);
    }
  });
});
