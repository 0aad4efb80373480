import { MAX_DECIMAL65 } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type Bucket, type LedgerKind, isSystemAccount } from './accounts.js';

export type JournalLine = {
  readonly accountId: string;
  readonly asset: string;
  readonly bucket: Bucket;
  /** Signed, base units; never zero. */
  readonly amount: bigint;
  readonly kind: LedgerKind;
};

export type Entry = {
  /** Groups the lines of one posting (the transfer id, deposit id...). */
  readonly entryId: string;
  readonly nodeId: string;
  readonly refId: string;
  readonly lines: readonly JournalLine[];
};

export type PostedLine = JournalLine & { readonly balanceAfter: bigint | null };

const column: Record<Bucket, string> = { available: 'available', frozen: 'frozen' };

/**
 * Posts one balanced double-entry entry inside the caller's transaction: applies every user-account
 * line to its balance row and appends all lines to the journal.
 *
 * Debits are conditional updates (`... WHERE col >= amount`), never read-then-write, so concurrent
 * postings cannot overdraw. Rows are touched in (account, asset) order so concurrent entries lock in
 * one order. Amounts are bound as `CAST(? AS DECIMAL(65,0))`: MySQL would otherwise compare a DECIMAL
 * with a string parameter as doubles and lose precision.
 *
 * @throws WalletError INSUFFICIENT_FUNDS when a debit would overdraw (the transaction must roll back)
 * @throws Error when the entry is not balanced per asset (a programming error)
 */
export async function postEntry(trx: Knex.Transaction, entry: Entry): Promise<PostedLine[]> {
  assertBalanced(entry);
  const order = [...entry.lines.keys()].sort((a, b) => {
    const x = entry.lines[a]!;
    const y = entry.lines[b]!;
    return x.accountId < y.accountId ? -1 : x.accountId > y.accountId ? 1 : x.asset < y.asset ? -1 : x.asset > y.asset ? 1 : 0;
  });
  const balanceAfter = new Map<number, bigint | null>();
  for (const i of order) {
    const line = entry.lines[i]!;
    balanceAfter.set(i, isSystemAccount(line.accountId) ? null : await applyLine(trx, line));
  }
  const posted = entry.lines.map((line, i) => ({ ...line, balanceAfter: balanceAfter.get(i) ?? null }));
  await trx('journal').insert(
    posted.map((line) => ({
      entry_id: entry.entryId,
      node_id: entry.nodeId,
      account_id: line.accountId,
      asset: line.asset,
      bucket: line.bucket,
      amount: line.amount.toString(),
      balance_after: line.balanceAfter === null ? null : line.balanceAfter.toString(),
      kind: line.kind,
      ref_id: entry.refId,
    })),
  );
  return posted;
}

async function applyLine(trx: Knex.Transaction, line: JournalLine): Promise<bigint> {
  const col = column[line.bucket];
  if (line.amount < 0n) {
    const debit = -line.amount;
    if (debit > MAX_DECIMAL65) throw insufficient(line);
    const [result] = (await trx.raw(
      `UPDATE balances SET ${col} = ${col} - CAST(? AS DECIMAL(65,0)), updated_at = CURRENT_TIMESTAMP(3)
       WHERE account_id = ? AND asset = ? AND ${col} >= CAST(? AS DECIMAL(65,0))`,
      [debit.toString(), line.accountId, line.asset, debit.toString()],
    )) as [{ affectedRows: number }];
    if (result.affectedRows !== 1) throw insufficient(line);
  } else {
    await trx.raw(
      `INSERT INTO balances (account_id, asset, ${col}) VALUES (?, ?, CAST(? AS DECIMAL(65,0)))
       ON DUPLICATE KEY UPDATE ${col} = ${col} + VALUES(${col}), updated_at = CURRENT_TIMESTAMP(3)`,
      [line.accountId, line.asset, line.amount.toString()],
    );
  }
  const [rows] = (await trx.raw(`SELECT ${col} AS value FROM balances WHERE account_id = ? AND asset = ?`, [
    line.accountId,
    line.asset,
  ])) as [{ value: string }[]];
  return BigInt(rows[0]!.value);
}

function insufficient(line: JournalLine): WalletError {
  return new WalletError('INSUFFICIENT_FUNDS', `insufficient ${line.bucket} ${line.asset}`, {
    details: { accountId: line.accountId, asset: line.asset },
  });
}

/** Every entry sums to zero per asset, has no zero lines, and at least two lines. */
export function assertBalanced(entry: Entry): void {
  if (entry.lines.length < 2) throw new Error(`entry ${entry.entryId}: fewer than two lines`);
  const sums = new Map<string, bigint>();
  for (const line of entry.lines) {
    if (line.amount === 0n) throw new Error(`entry ${entry.entryId}: zero line`);
    sums.set(line.asset, (sums.get(line.asset) ?? 0n) + line.amount);
  }
  for (const [asset, sum] of sums) {
    if (sum !== 0n) throw new Error(`entry ${entry.entryId}: ${asset} lines sum to ${sum}, not 0`);
  }
}
