import { describe, expect, it } from 'vitest';
import { ReviewRulesInput, defaultRules, requirementOf, rulesToJson } from './ReviewRules.js';

const rules = ReviewRulesInput.parse({
  autoApproveBelow: '100',
  singleApprovalUpTo: '1000',
  approvers: 3,
  accountDaily: '5000',
  clientDaily: '20000',
});
const calm = { account: 0n, client: 0n };

describe('requirementOf', () => {
  it('auto-approves strictly below the threshold', () => {
    expect(requirementOf(rules, 99n, calm)).toEqual({ approvals: 0, tier: 'auto', escalations: [] });
    expect(requirementOf(rules, 100n, calm).approvals).toBe(1);
  });

  it('needs one approver up to and including singleApprovalUpTo, M above it', () => {
    expect(requirementOf(rules, 1000n, calm)).toMatchObject({ approvals: 1, tier: 'single' });
    expect(requirementOf(rules, 1001n, calm)).toMatchObject({ approvals: 3, tier: 'multi' });
  });

  it('escalates to M approvers (never auto) above either 24 h velocity', () => {
    expect(requirementOf(rules, 1n, { account: 5001n, client: 0n })).toEqual({
      approvals: 3,
      tier: 'multi',
      escalations: ['account_velocity'],
    });
    expect(requirementOf(rules, 1n, { account: 5000n, client: 20_001n })).toMatchObject({ escalations: ['client_velocity'] });
    expect(requirementOf(rules, 1n, { account: 5000n, client: 20_000n }).tier).toBe('auto');
  });

  it('defaults to one approver for every amount, nothing automatic', () => {
    expect(requirementOf(defaultRules, 0n, calm)).toMatchObject({ approvals: 1, tier: 'single' });
    expect(requirementOf(defaultRules, 10n ** 30n, calm)).toMatchObject({ approvals: 1, tier: 'single' });
    expect(defaultRules.approvers).toBe(2);
  });

  it('refuses malformed rules and round-trips amounts as strings', () => {
    expect(() => ReviewRulesInput.parse({ approvers: 1 })).toThrow();
    expect(() => ReviewRulesInput.parse({ autoApproveBelow: '-1' })).toThrow();
    expect(() => ReviewRulesInput.parse({ autoApproveBelow: 1 })).toThrow();
    expect(() => ReviewRulesInput.parse({ unknown: true })).toThrow();
    expect(ReviewRulesInput.parse(rulesToJson(rules))).toEqual(rules);
  });
});
