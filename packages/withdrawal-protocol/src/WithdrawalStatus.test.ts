import { describe, expect, it } from 'vitest';
import { isForward, predecessorsOf, terminalStatuses, withdrawalStatuses } from './WithdrawalStatus.js';

describe('the withdrawal state machine', () => {
  it('allows exactly the documented moves', () => {
    const allowed = withdrawalStatuses.flatMap((from) =>
      withdrawalStatuses.filter((to) => isForward(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'pending_review>approved',
        'pending_review>rejected',
        'pending_review>cancelled',
        // The client's cancel during the policy's hold after the final approval (nothing signed: checked under lock).
        'approved>cancelled',
        // Reports may arrive late or be overtaken (the chain confirms before a `broadcast` report): skipping ahead is fine.
        'approved>signed',
        'approved>broadcast',
        'approved>confirmed',
        'approved>failed',
        'signed>broadcast',
        'signed>confirmed',
        'signed>failed',
        'broadcast>confirmed',
        'broadcast>failed',
      ].sort(),
    );
  });

  it('never leaves a terminal status and never goes back', () => {
    for (const t of terminalStatuses) for (const to of withdrawalStatuses) expect(isForward(t, to)).toBe(false);
    expect(isForward('broadcast', 'signed')).toBe(false);
    expect(isForward('approved', 'pending_review')).toBe(false);
  });

  it('nothing signed, sent or settled without approval; nothing rejected after it, cancelled only from approved (the hold)', () => {
    for (const to of ['signed', 'broadcast', 'confirmed', 'failed'] as const) expect(predecessorsOf(to)).not.toContain('pending_review');
    expect(predecessorsOf('cancelled')).toEqual(['pending_review', 'approved']);
    expect(predecessorsOf('rejected')).toEqual(['pending_review']);
  });
});
