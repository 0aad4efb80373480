import { describe, expect, it } from 'vitest';
import { ObjectId, PageLimitQuery } from './index.js';

describe('PageLimitQuery', () => {
  it.each([
    ['1', 1],
    ['50', 50],
    ['200', 200],
    ['007', 7],
  ])('takes %j as %d', (text, limit) => {
    expect(PageLimitQuery.parse(text)).toBe(limit);
  });

  // Each of these is a number to z.coerce.number(): only plain digits are a limit.
  it.each(['1e2', '0x10', '0b1', ' 5', '5 ', '+5', '-1', '5.0', '0', '201', '1000', '', 'Infinity'])('refuses %j', (text) => {
    expect(PageLimitQuery.safeParse(text).success).toBe(false);
  });
});

describe('ObjectId', () => {
  it.each(['wd_01JD3', 'a', 'A-z_9'.repeat(12)])('takes %j', (id) => {
    expect(ObjectId.safeParse(id).success).toBe(true);
  });

  it.each(['', 'a b', "x' OR 1=1", 'a'.repeat(65), 'wd/1'])('refuses %j', (id) => {
    expect(ObjectId.safeParse(id).success).toBe(false);
  });
});
