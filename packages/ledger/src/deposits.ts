import { type Knex, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { LedgerKind, SystemAccount } from './accounts.js';
import { postEntry } from './postEntry.js';

type DepositRow = {
  id: string;
  chain: string;
  asset: string;
  account_id: string;
  amount: string;
  block_number: string;
  block_hash: string;
  node_id: string;
  status: string;
};

export type DepositCreditResult = { readonly credited: number; readonly reversed: number; readonly shortfalls: number };

/**
 * Credits this node's pending deposits that reached their asset's confirmations, and reverses its
 * credited deposits whose block left the chain. Each deposit is one MySQL transaction that locks the
 * deposit row and (with a locking read) its block row, re-checks that the block hash is still the
 * canonical one the scanner recorded, then posts the journal entry and the new status together: a deposit
 * is credited exactly once, and never from a block the scanner has since dropped.
 *
 * @param confirmationsOf confirmations required for an asset (from the registry)
 */
export async function settleDeposits(
  db: Knex,
  nodeId: string,
  confirmationsOf: (asset: string) => number,
  limit = 500,
): Promise<DepositCreditResult> {
  const [headRows] = (await db.raw('SELECT chain, MAX(number) AS head FROM chain_blocks GROUP BY chain')) as [
    { chain: string; head: string }[],
  ];
  const heads = new Map(headRows.map((r) => [r.chain, Number(r.head)]));
  const pending = await db<DepositRow>('deposits').where({ node_id: nodeId, status: 'pending' }).orderBy('block_number').limit(limit);
  let credited = 0;
  for (const d of pending) {
    const head = heads.get(d.chain);
    if (head === undefined || head - Number(d.block_number) + 1 < confirmationsOf(d.asset)) continue;
    if (await creditOne(db, nodeId, d.id)) credited++;
  }
  let reversed = 0;
  let shortfalls = 0;
  const toReverse = await db<DepositRow>('deposits').where({ node_id: nodeId, status: 'reversal_pending' }).limit(limit);
  for (const d of toReverse) {
    const outcome = await reverseOne(db, nodeId, d.id);
    if (outcome !== 'skipped') reversed++;
    if (outcome === 'shortfall') shortfalls++;
  }
  return { credited, reversed, shortfalls };
}

async function creditOne(db: Knex, nodeId: string, depositId: string): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const d = await trx<DepositRow>('deposits').where({ id: depositId }).forUpdate().first();
    if (!d || d.status !== 'pending') return false;
    const [blocks] = (await trx.raw('SELECT hash FROM chain_blocks WHERE chain = ? AND number = ? LOCK IN SHARE MODE', [
      d.chain,
      d.block_number,
    ])) as [{ hash: string }[]];
    if (blocks[0]?.hash !== d.block_hash) return false; // its block is no longer canonical: the scanner will orphan it
    const amount = BigInt(d.amount);
    await postEntry(trx, {
      entryId: `${d.id}:c:${d.block_hash.slice(2, 12)}`,
      nodeId,
      refId: d.id,
      lines: [
        { accountId: SystemAccount.chainInflow(d.chain), asset: d.asset, bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
        { accountId: d.account_id, asset: d.asset, bucket: 'available', amount, kind: LedgerKind.deposit },
      ],
    });
    await trx('deposits')
      .where({ id: d.id })
      .update({ status: 'credited', credited_at: trx.raw('CURRENT_TIMESTAMP(3)'), updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    return true;
  });
}

/**
 * Posts the reversing entry of a deposit whose block was dropped after it was credited. If the user has
 * already moved part of the money, only what is available is taken back and the rest is booked to the
 * chain's shortfall account for operators (balances never go negative; the books still balance).
 */
async function reverseOne(db: Knex, nodeId: string, depositId: string): Promise<'reversed' | 'shortfall' | 'skipped'> {
  return withTransaction(db, async (trx) => {
    const d = await trx<DepositRow>('deposits').where({ id: depositId }).forUpdate().first();
    if (!d || d.status !== 'reversal_pending') return 'skipped';
    const amount = BigInt(d.amount);
    const [rows] = (await trx.raw(
      'SELECT CAST(available AS CHAR) AS available FROM balances WHERE account_id = ? AND asset = ? FOR UPDATE',
      [d.account_id, d.asset],
    )) as [{ available: string }[]];
    const available = BigInt(rows[0]?.available ?? '0');
    const taken = available < amount ? available : amount;
    const lines = [
      {
        accountId: SystemAccount.chainInflow(d.chain),
        asset: d.asset,
        bucket: 'available' as const,
        amount,
        kind: LedgerKind.depositReversal,
      },
    ];
    if (taken > 0n)
      lines.push({ accountId: d.account_id, asset: d.asset, bucket: 'available', amount: -taken, kind: LedgerKind.depositReversal });
    if (taken < amount) {
      lines.push({
        accountId: `sys:chain:${d.chain}:reorg_shortfall`,
        asset: d.asset,
        bucket: 'available',
        amount: taken - amount,
        kind: LedgerKind.depositReversal,
      });
    }
    try {
      await postEntry(trx, { entryId: `${d.id}:r:${d.block_hash.slice(2, 12)}`, nodeId, refId: d.id, lines });
    } catch (error) {
      if (isWalletError(error, 'INSUFFICIENT_FUNDS')) return 'skipped'; // raced with a spend; next pass retries
      throw error;
    }
    await trx('deposits')
      .where({ id: d.id })
      .update({ status: 'reversed', updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    return taken < amount ? 'shortfall' : 'reversed';
  });
}
