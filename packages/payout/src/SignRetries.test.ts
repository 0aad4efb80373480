import { describe, expect, it } from 'vitest';
import { SignRetries } from './SignRetries.js';

describe('SignRetries', () => {
  it('lets a withdrawal that never failed through at once, in the order given', () => {
    expect(new SignRetries().due(['c', 'a', 'b'], 0)).toEqual(['c', 'a', 'b']);
  });

  it('backs off 2, 4, 8 ... seconds per failure, at most 5 minutes, each withdrawal on its own', () => {
    const retries = new SignRetries();
    const waits: number[] = [];
    let now = 1_000_000;
    for (let failure = 1; failure <= 12; failure++) {
      retries.failed('a', now);
      let wait = 0;
      while (retries.due(['a'], now + wait).length === 0) wait += 1000;
      waits.push(wait);
      now += wait;
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300].map((s) => s * 1000));
    expect(retries.due(['a', 'b'], now - 1)).toEqual(['b']);
  });

  it('forgets a withdrawal once it is signed or voided', () => {
    const retries = new SignRetries();
    retries.failed('a', 0);
    expect(retries.due(['a'], 1)).toEqual([]);
    retries.forget('a');
    expect(retries.due(['a'], 1)).toEqual(['a']);
  });
});
