import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from './findDuplicateKey.js';

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"x":{"b":1,"c":2,"b":3}}', 'b'],
    ['[{"a":1},{"k":[1,{"z":0,"z":1}]}]', 'z'],
    ['{"\\u0061":1,"a":2}', 'a'],
    ['{"amount":"1","to":"x","amount":"2"}', 'amount'],
  ])('finds the repeated key in %s', (text, key) => {
    expect(findDuplicateKey(text)).toBe(key);
  });

  it.each([
    '{"a":1,"b":{"a":1}}',
    '[{"a":1},{"a":2}]',
    '{"a":"\\"a\\"","b":"a,\\"a\\":"}',
    '{"a":[{"a":1}],"b":["a","a"]}',
    '"a"',
    '[]',
    '{}',
  ])('accepts %s', (text) => {
    expect(findDuplicateKey(text)).toBeUndefined();
  });
});
