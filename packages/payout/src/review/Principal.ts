/**
 * Who acts on the review desk. Console users are `auditor` (reviews) or `admin` (users, policies, whitelists, the kill
 * switch; never approves); bearer tokens of the automation API are `automation` (decides like an auditor, under the
 * same policies, and can be switched off by an admin); the policy itself auto-approves as `policy`.
 */
export const PrincipalRole = { auditor: 'auditor', admin: 'admin', automation: 'automation', policy: 'policy' } as const;
export type PrincipalRole = (typeof PrincipalRole)[keyof typeof PrincipalRole];

export type Principal = {
  /** As written into decided_by, approver and audit rows: `user:<name>`, `automation:<name>`, `policy:auto`. */
  readonly id: string;
  readonly role: PrincipalRole;
};

/** A console user. */
export function userPrincipal(username: string, role: 'auditor' | 'admin'): Principal {
  return { id: `user:${username}`, role };
}

/** A bearer token of the automation API. */
export function automationPrincipal(name: string): Principal {
  return { id: `automation:${name}`, role: 'automation' };
}

/** The policy's own auto-approval. */
export const autoApprover: Principal = { id: 'policy:auto', role: 'policy' };

/** Roles that may approve or reject withdrawals. */
export function mayDecide(role: PrincipalRole): boolean {
  return role === 'auditor' || role === 'automation' || role === 'policy';
}
