import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonicalJson.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, writes bigints and Dates as strings, drops undefined properties', () => {
    expect(
      canonicalJson({
        z: 1,
        a: { y: [3, { b: 2, a: 1 }], x: null },
        m: 10n ** 30n,
        d: new Date(Date.UTC(2026, 11, 8, 10, 15, 30, 123)),
        u: undefined,
        s: 'é"\n',
      }),
    ).toBe(
      '{"a":{"x":null,"y":[3,{"a":1,"b":2}]},"d":"2026-12-08T10:15:30.123Z","m":"1000000000000000000000000000000","s":"é\\"\\n","z":1}',
    );
  });

  it('gives the same text for the same content whatever the insertion order', () => {
    expect(canonicalJson({ b: { d: 1, c: 2 }, a: [] })).toBe(canonicalJson({ a: [], b: { c: 2, d: 1 } }));
  });

  it('escapes a lone surrogate (stored as ASCII, so it cannot be mangled on the way into MySQL)', () => {
    expect(canonicalJson({ s: '\ud800' })).toBe('{"s":"\\ud800"}');
  });

  it.each([
    ['NaN', { n: Number.NaN }, '$.n'],
    ['Infinity', { n: [Number.POSITIVE_INFINITY] }, '$.n[0]'],
    ['undefined in an array', { a: [1, undefined] }, '$.a[1]'],
    ['a Map', { m: new Map() }, '$.m'],
    ['a function', { f: () => 1 }, '$.f'],
    ['an invalid Date', { d: new Date(Number.NaN) }, '$.d'],
  ])('refuses %s with VALIDATION_FAILED naming its path', (_, value, field) => {
    expect(() => canonicalJson(value)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field } }));
  });
});
