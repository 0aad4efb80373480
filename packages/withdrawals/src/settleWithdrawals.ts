import type { AssetRegistry } from '@wallet/assets';
import { type Knex, withTransaction } from '@wallet/db';
import { LedgerKind, type JournalLine, SystemAccount, postEntry } from '@wallet/ledger';
import type { Logger } from '@wallet/logger';
import type { WithdrawalRow } from './Withdrawal.js';
import { inFlightStatuses } from './WithdrawalStatus.js';
import { transition } from './transition.js';

type Candidate = { id: string; chain: string; asset: string; block_number: string };

type Observation = {
  txid: string;
  status: 'success' | 'failed';
  fee: string;
  block_number: string;
  block_hash: string;
  localhash: string | null;
};

export type WithdrawalSettlement = { readonly confirmed: number; readonly failed: number };

/**
 * Settles this node's withdrawals whose transaction the scanner has seen on chain with the asset's confirmations:
 * `confirmed` spends the frozen amount + fee (amount to the chain's outflow, fee to fee income), `failed` (the
 * transaction reverted) releases them back to the user. Either way the network fee the chain really burned is
 * booked (fee income pays it, in the chain's native asset). One MySQL transaction per withdrawal, which re-checks
 * that the transaction's block is still the canonical one and that the transaction is one signsrv signed for this
 * very withdrawal, with its localhash.
 */
export async function settleWithdrawals(
  db: Knex,
  nodeId: string,
  registry: AssetRegistry,
  log: Logger,
  limit = 200,
): Promise<WithdrawalSettlement> {
  const [candidates] = (await db.raw(
    `SELECT w.id, w.chain, w.asset, o.block_number FROM withdrawals w
     JOIN withdrawal_observations o ON o.withdrawal_id = w.id
     WHERE w.node_id = ? AND w.status IN (${inFlightStatuses.map(() => '?').join(', ')})
     ORDER BY o.block_number LIMIT ?`,
    [nodeId, ...inFlightStatuses, limit],
  )) as [Candidate[]];
  if (candidates.length === 0) return { confirmed: 0, failed: 0 };
  const [headRows] = (await db.raw('SELECT chain, MAX(number) AS head FROM chain_blocks GROUP BY chain')) as [
    { chain: string; head: string }[],
  ];
  const heads = new Map(headRows.map((r) => [r.chain, Number(r.head)]));
  let confirmed = 0;
  let failed = 0;
  for (const c of candidates) {
    const head = heads.get(c.chain);
    if (head === undefined || head - Number(c.block_number) + 1 < registry.asset(c.asset).confirmations) continue;
    const outcome = await settleOne(db, nodeId, registry, log, c.id);
    if (outcome === 'confirmed') confirmed++;
    if (outcome === 'failed') failed++;
  }
  return { confirmed, failed };
}

async function settleOne(
  db: Knex,
  nodeId: string,
  registry: AssetRegistry,
  log: Logger,
  id: string,
): Promise<'confirmed' | 'failed' | 'skipped'> {
  return withTransaction(db, async (trx) => {
    const w = await trx<WithdrawalRow>('withdrawals').where({ id, node_id: nodeId }).forUpdate().first();
    if (!w || !inFlightStatuses.includes(w.status)) return 'skipped';
    // The observation must be of a transaction signsrv stored for this withdrawal (not merely claimed by Redis).
    const [obsRows] = (await trx.raw(
      `SELECT o.txid, o.status, CAST(o.fee AS CHAR) AS fee, o.block_number, o.block_hash, o.localhash
       FROM withdrawal_observations o
       JOIN withdrawal_txs t ON t.chain = o.chain AND t.txid = o.txid AND t.withdrawal_id = ?
       WHERE o.withdrawal_id = ? LOCK IN SHARE MODE`,
      [w.id, w.id],
    )) as [Observation[]];
    const o = obsRows[0];
    if (!o) return 'skipped';
    if (o.localhash !== null && o.localhash !== w.localhash) {
      log.error({ withdrawalId: w.id, txid: o.txid }, 'blockout_ctx localhash differs from the withdrawal: not settling (alarm)');
      return 'skipped';
    }
    const [blockRows] = (await trx.raw('SELECT hash FROM chain_blocks WHERE chain = ? AND number = ? LOCK IN SHARE MODE', [
      w.chain,
      o.block_number,
    ])) as [{ hash: string }[]];
    const stored = blockRows[0];
    if (stored !== undefined && stored.hash !== o.block_hash) return 'skipped'; // the scanner is rewinding it

    const total = BigInt(w.amount) + BigInt(w.fee);
    const amount = BigInt(w.amount);
    const fee = BigInt(w.fee);
    const networkFee = BigInt(o.fee);
    const native = registry.chain(w.chain).nativeAsset;
    const lines: JournalLine[] =
      o.status === 'success'
        ? [
            { accountId: w.account_id, asset: w.asset, bucket: 'frozen', amount: -total, kind: LedgerKind.withdrawalSpend },
            {
              accountId: SystemAccount.chainOutflow(w.chain),
              asset: w.asset,
              bucket: 'available',
              amount,
              kind: LedgerKind.withdrawalSpend,
            },
          ]
        : [
            { accountId: w.account_id, asset: w.asset, bucket: 'frozen', amount: -total, kind: LedgerKind.withdrawalRelease },
            { accountId: w.account_id, asset: w.asset, bucket: 'available', amount: total, kind: LedgerKind.withdrawalRelease },
          ];
    if (o.status === 'success' && fee > 0n) {
      lines.push({
        accountId: SystemAccount.feeIncome(w.asset),
        asset: w.asset,
        bucket: 'available',
        amount: fee,
        kind: LedgerKind.withdrawalFee,
      });
    }
    if (networkFee > 0n) {
      lines.push(
        {
          accountId: SystemAccount.feeIncome(native),
          asset: native,
          bucket: 'available',
          amount: -networkFee,
          kind: LedgerKind.networkFee,
        },
        {
          accountId: SystemAccount.networkFees(w.chain),
          asset: native,
          bucket: 'available',
          amount: networkFee,
          kind: LedgerKind.networkFee,
        },
      );
    }
    const to = o.status === 'success' ? 'confirmed' : 'failed';
    await postEntry(trx, { entryId: `${w.id}:settle`, nodeId, refId: w.id, lines });
    // The chain has it, so it was signed and sent: when signsrv's reports have not arrived yet (they are
    // asynchronous), the trail records those steps now rather than skipping them.
    for (const step of ['signed', 'broadcast'] as const) {
      await transition(trx, {
        withdrawalId: w.id,
        to: step,
        actor: 'chain',
        txid: o.txid,
        reason: 'seen on chain before signsrv reported it',
      });
    }
    await transition(trx, {
      withdrawalId: w.id,
      to,
      actor: 'chain',
      txid: o.txid,
      ...(to === 'failed' ? { reason: 'the transaction reverted on chain; the amount and fee were released' } : {}),
      set: { network_fee: networkFee.toString(), block_number: Number(o.block_number), block_hash: o.block_hash },
    });
    return to;
  });
}
