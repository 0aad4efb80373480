import type { WithdrawalRow } from '@wallet/withdrawal-protocol';
import { integrityProblems } from './integrity.js';

/**
 * What stops a withdrawal from being signed (or its transaction replaced): a row that no longer hashes to the
 * localhash signsrv received, or a status of approved without signsrv's approval behind it (someone wrote the status).
 * @param review the withdrawal's `sign_requests` row (undefined: signsrv never received it)
 * @returns the problems (`localhash`, `decision`), empty when it may be signed
 */
export function approvalProblems(row: WithdrawalRow, review: { localhash: string; decision: string | null } | undefined): string[] {
  const problems = integrityProblems(row, { localhash: review?.localhash ?? '' });
  if (review?.decision !== 'approved') problems.push('decision');
  return problems;
}
