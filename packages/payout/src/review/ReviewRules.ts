import { z } from 'zod';

const BaseUnits = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,64})$/, 'expected an integer amount in base units')
  .transform((s) => BigInt(s));

/**
 * An asset's review policy, as an admin sets it (amounts are strings of base units; absent means "no such rule"):
 * - `autoApproveBelow`: a withdrawal of less is approved by the policy itself, when velocity and whitelist allow;
 * - `singleApprovalUpTo`: up to this amount one approver decides; above it `approvers` distinct ones (absent: one
 *   approver whatever the amount);
 * - `approvers`: M, the distinct approvers above `singleApprovalUpTo` (2..10, default 2);
 * - `accountDaily` / `clientDaily`: velocity over a rolling 24 h (this withdrawal included, rejected, cancelled and
 *   failed ones not): above it the withdrawal is never auto-approved and needs M approvers;
 * - `requireWhitelist`: only destinations on the client's whitelist, past their cooling-off, may be approved;
 * - `holdSeconds`: after the final approval the withdrawal waits this long before signing and can still be cancelled.
 */
export const ReviewRulesInput = z
  .object({
    autoApproveBelow: BaseUnits.optional(),
    singleApprovalUpTo: BaseUnits.optional(),
    approvers: z.number().int().min(2).max(10).default(2),
    accountDaily: BaseUnits.optional(),
    clientDaily: BaseUnits.optional(),
    requireWhitelist: z.boolean().default(false),
    holdSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(0),
  })
  .strict();
export type ReviewRules = z.infer<typeof ReviewRulesInput>;

/** The policy of an asset nobody set one for: one approver for every amount, nothing automatic (today's behaviour). */
export const defaultRules: ReviewRules = ReviewRulesInput.parse({});

/** Rules as stored and shown (amounts as strings). */
export function rulesToJson(r: ReviewRules): Record<string, unknown> {
  return {
    ...(r.autoApproveBelow === undefined ? {} : { autoApproveBelow: r.autoApproveBelow.toString() }),
    ...(r.singleApprovalUpTo === undefined ? {} : { singleApprovalUpTo: r.singleApprovalUpTo.toString() }),
    approvers: r.approvers,
    ...(r.accountDaily === undefined ? {} : { accountDaily: r.accountDaily.toString() }),
    ...(r.clientDaily === undefined ? {} : { clientDaily: r.clientDaily.toString() }),
    requireWhitelist: r.requireWhitelist,
    holdSeconds: r.holdSeconds,
  };
}

/** The 24 h totals of the withdrawal's account and client in its asset, this withdrawal included. */
export type Velocity = { readonly account: bigint; readonly client: bigint };

/** What a policy asks of one withdrawal. */
export type Requirement = {
  /** Distinct approvals needed (0: the policy approves it itself). */
  readonly approvals: number;
  readonly tier: 'auto' | 'single' | 'multi';
  /** Why it needs more than the amount alone would ask: `account_velocity`, `client_velocity`. */
  readonly escalations: readonly string[];
};

/**
 * What `rules` require of a withdrawal of `amount` with the given 24 h velocity. The whitelist is not decided here
 * (it refuses, it does not escalate).
 */
export function requirementOf(rules: ReviewRules, amount: bigint, velocity: Velocity): Requirement {
  const escalations: string[] = [];
  if (rules.accountDaily !== undefined && velocity.account > rules.accountDaily) escalations.push('account_velocity');
  if (rules.clientDaily !== undefined && velocity.client > rules.clientDaily) escalations.push('client_velocity');
  if (escalations.length > 0) return { approvals: rules.approvers, tier: 'multi', escalations };
  if (rules.autoApproveBelow !== undefined && amount < rules.autoApproveBelow) return { approvals: 0, tier: 'auto', escalations };
  if (rules.singleApprovalUpTo === undefined || amount <= rules.singleApprovalUpTo) return { approvals: 1, tier: 'single', escalations };
  return { approvals: rules.approvers, tier: 'multi', escalations };
}
