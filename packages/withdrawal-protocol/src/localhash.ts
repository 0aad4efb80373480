import { createHash } from 'node:crypto';
import type { WithdrawalRow } from './WithdrawalRow.js';

/** The fields a withdrawal's localhash covers: everything that decides where money goes and how much. */
export type LocalhashFields = {
  readonly id: string;
  readonly accountId: string;
  readonly chain: string;
  readonly asset: string;
  readonly to: string;
  readonly amount: bigint;
  readonly fee: bigint;
  /**
   * The account credited instead of a chain payment (the destination is one of this wallet's deposit addresses):
   * where the money goes, so it is covered too. Absent (or null) for a withdrawal paid on chain.
   */
  readonly internalAccountId?: string | null | undefined;
};

// Canonical encoding: a version tag and the fields, each on its own line, in this order:
//   wallet-withdrawal-v1 \n id \n accountId \n chain \n asset \n to \n amount (decimal) \n fee (decimal)
// No field may contain a line break (ids, chain and asset ids, addresses and decimal integers cannot), so the
// encoding is unambiguous: two different withdrawals never encode alike.
// An internal withdrawal (settled by crediting another account of this wallet) is tagged apart and adds that account:
//   wallet-withdrawal-internal-v1 \n id \n accountId \n chain \n asset \n to \n amount \n fee \n internalAccountId
// so no internal withdrawal hashes like a chain one, and a row whose credited account was altered no longer matches.
const VERSION = 'wallet-withdrawal-v1';
const INTERNAL_VERSION = 'wallet-withdrawal-internal-v1';

/**
 * The withdrawal's localhash: sha256 (hex) over its canonical encoding. transrv stores it with the withdrawal;
 * signsrv recomputes it from the row in MySQL before it signs, and from every blockout_req it receives, and refuses
 * anything that does not match.
 * @throws Error when a field contains a line break (never valid input; a programming error)
 */
export function computeLocalhash(w: LocalhashFields): string {
  const internal = w.internalAccountId !== undefined && w.internalAccountId !== null;
  const fields = [
    internal ? INTERNAL_VERSION : VERSION,
    w.id,
    w.accountId,
    w.chain,
    w.asset,
    w.to,
    w.amount.toString(),
    w.fee.toString(),
    ...(internal ? [w.internalAccountId] : []),
  ];
  for (const f of fields) if (/[\r\n]/.test(f)) throw new Error('localhash: a field contains a line break');
  return createHash('sha256').update(fields.join('\n'), 'utf8').digest('hex');
}

/**
 * The localhash recomputed from a withdrawal's row as MySQL holds it now: what every re-check compares with the
 * stored localhash (and with the one signsrv received).
 */
export function localhashOfRow(
  row: Pick<WithdrawalRow, 'id' | 'account_id' | 'chain' | 'asset' | 'to_address' | 'amount' | 'fee' | 'internal_account_id'>,
): string {
  return computeLocalhash({
    id: row.id,
    accountId: row.account_id,
    chain: row.chain,
    asset: row.asset,
    to: row.to_address,
    amount: BigInt(row.amount),
    fee: BigInt(row.fee),
    internalAccountId: row.internal_account_id,
  });
}
