import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, newId, pageLimit } from './index.js';

describe('cursors', () => {
  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor('12345'))).toBe('12345');
  });
  it.each(['', 'abc', encodeCursor('1; DROP TABLE x'), Buffer.from('12').toString('base64url')])('refuses %j', (c) => {
    expect(() => decodeCursor(c)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
  it('limits pages to 1..200 with 50 by default', () => {
    expect(pageLimit(undefined)).toBe(50);
    expect(pageLimit(0)).toBe(50);
    expect(pageLimit(200)).toBe(200);
    expect(() => pageLimit(201)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => pageLimit(1.5)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('newId', () => {
  it('is prefixed and sorts in creation order', () => {
    const ids = Array.from({ length: 1000 }, () => newId('tr'));
    expect(ids.every((id) => /^tr_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });
});
