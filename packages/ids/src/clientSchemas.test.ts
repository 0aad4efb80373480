import { describe, expect, it } from 'vitest';
import { ClientMetadata, ClientReference, METADATA_LIMITS, UtcTimestamp } from './index.js';

describe('ClientReference', () => {
  it.each(['a', 'order-17', 'R'.repeat(64), '!~#$%&*+/=?^_{|}', 'ORDER-17'])('takes %j', (r) => {
    expect(ClientReference.safeParse(r).success).toBe(true);
  });
  it.each(['', 'a b', 'r'.repeat(65), 'é', 'tab\there', 'new\nline'])('refuses %j', (r) => {
    expect(ClientReference.safeParse(r).success).toBe(false);
  });
});

describe('ClientMetadata', () => {
  const keys = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

  it('takes objects of strings up to every bound, keeping them as sent', () => {
    const cases = [
      {},
      { a: '' },
      keys(METADATA_LIMITS.keys, 'x'.repeat(90)),
      { ['k'.repeat(40)]: 'v'.repeat(500) },
      // characters, not UTF-16 units: 40 and 400 characters of two units each
      { ['🔑'.repeat(40)]: '😀'.repeat(400) },
    ];
    for (const metadata of cases) expect(ClientMetadata.parse(metadata)).toEqual(metadata);
  });

  it('takes exactly 2,048 bytes of JSON and refuses one more', () => {
    const five = keys(5, 'x'.repeat(400));
    const exact = { ...five, k4: 'x'.repeat(400 + 2048 - JSON.stringify(five).length) };
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(2048);
    expect(ClientMetadata.safeParse(exact).success).toBe(true);
    expect(ClientMetadata.safeParse({ ...exact, k4: `${exact.k4}x` }).success).toBe(false);
    // bytes, not characters: 2-byte characters count twice
    expect(ClientMetadata.safeParse(keys(5, 'é'.repeat(250))).success).toBe(false);
  });

  it.each([
    ['21 keys', keys(21)],
    ['an empty key', { '': 'v' }],
    ['a 41-character key', { ['k'.repeat(41)]: 'v' }],
    ['a 501-character value', { a: 'v'.repeat(501) }],
    ['a 41-character key of two-unit characters', { ['🔑'.repeat(41)]: 'v' }],
    ['a number', { a: 1 }],
    ['null', { a: null }],
    ['a nested object', { a: { b: 'c' } }],
    ['an array', ['a']],
    ['a string', 'a'],
    ['a lone surrogate in a value', { a: '\ud800' }],
    ['a lone surrogate in a key', { '\udc00': 'v' }],
    ['a __proto__ key', JSON.parse('{"__proto__": "x"}') as unknown],
  ])('refuses %s', (_what, metadata) => {
    expect(ClientMetadata.safeParse(metadata).success).toBe(false);
  });
});

describe('UtcTimestamp', () => {
  it.each(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.5Z', '2026-12-31T23:59:59.999Z', '2024-02-29T12:00:00.000Z'])('takes %j', (t) => {
    expect(UtcTimestamp.safeParse(t).success).toBe(true);
  });
  it.each([
    '2026-01-01',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00+00:00',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:00.0001Z',
    '2026-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '1767225600000',
    ' 2026-01-01T00:00:00Z',
  ])('refuses %j', (t) => {
    expect(UtcTimestamp.safeParse(t).success).toBe(false);
  });
});
