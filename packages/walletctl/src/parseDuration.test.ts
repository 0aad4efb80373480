import { describe, expect, it } from 'vitest';
import { parseDuration } from './parseDuration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['2s', 2_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    [' 3s ', 3_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text, '--overlap')).toBe(ms);
  });

  it.each(['', '5', '-1s', '1.5h', '2w', 'h', '1 h', '99999999999s'])('refuses %j', (text) => {
    expect(() => parseDuration(text, '--overlap')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
