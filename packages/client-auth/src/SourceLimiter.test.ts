import { describe, expect, it } from 'vitest';
import { SourceLimiter } from './SourceLimiter.js';

function limiter(maxSources = 100) {
  let now = 1_000_000;
  const l = new SourceLimiter({ burst: 3, perSecond: 2, maxSources, now: () => now });
  return { l, advance: (ms: number) => (now += ms) };
}

describe('SourceLimiter', () => {
  it('allows a burst, then says how long to wait; the budget comes back at the rate', () => {
    const { l, advance } = limiter();
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 0]);
    expect(l.take('a')).toBe(500);
    expect(l.take('b')).toBe(0); // per source
    advance(500);
    expect(l.take('a')).toBe(0);
    expect(l.take('a')).toBe(500);
  });

  it('a refund gives an attempt back; charges stop adding up past one full window', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 3; i++) expect(l.take('a')).toBe(0);
    l.refund('a');
    expect(l.take('a')).toBe(0);
    for (let i = 0; i < 100; i++) l.charge('a');
    expect(l.take('a')).toBe(1_000); // not 50 s: a source is not punished for ever
    advance(1_000);
    expect(l.take('a')).toBe(0);
  });

  it('forgets the least recently seen source beyond maxSources', () => {
    const { l } = limiter(2);
    for (let i = 0; i < 3; i++) l.take('a');
    l.take('b');
    l.take('c'); // evicts a
    expect(l.take('a')).toBe(0);
  });
});
