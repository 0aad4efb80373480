import { type BlockoutRequest, type WithdrawalRow, localhashOfRow } from '@wallet/withdrawal-protocol';

/**
 * Recomputes a withdrawal's localhash from its row in MySQL.
 * @returns the fields that disagree: `localhash` when the row no longer hashes to its stored localhash (the row
 * was altered), and each field of `expected` (a blockout_req, or the hash signsrv received) that differs from it
 */
export function integrityProblems(row: WithdrawalRow, expected?: Partial<BlockoutRequest>): string[] {
  const recomputed = localhashOfRow(row);
  const problems: string[] = [];
  if (recomputed !== row.localhash) problems.push('localhash');
  if (!expected) return problems;
  const actual: Record<string, string> = {
    withdrawalId: row.id,
    nodeId: row.node_id,
    accountId: row.account_id,
    chain: row.chain,
    asset: row.asset,
    to: row.to_address,
    amount: row.amount,
    fee: row.fee,
    localhash: recomputed,
  };
  // An internal withdrawal's message names the account it credits; a chain one's has no such field.
  if (row.internal_account_id !== null) actual['internalAccountId'] = row.internal_account_id;
  for (const [field, value] of Object.entries(expected)) {
    if (field === 'v' || value === undefined) continue;
    const given = typeof value === 'bigint' ? value.toString() : String(value);
    if (actual[field] !== given && !problems.includes(field)) problems.push(field);
  }
  return problems;
}
