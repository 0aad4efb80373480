import type { AssetRegistry } from '@wallet/assets';
import { type Knex, type NodeDbs, nodeDbs, withTransaction } from '@wallet/db';
import { LedgerKind, type JournalLine, SystemAccount, postEntry } from '@wallet/ledger';
import type { Logger } from '@wallet/logger';
import { AlertKind, inFlightStatuses, localhashOfRow, raiseNodeAlertOnce, type WithdrawalRow } from '@wallet/withdrawal-protocol';
import { transition } from './transition.js';

type Candidate = { id: string; block_number: string };

type Observation = {
  txid: string;
  from_address: string;
  status: 'success' | 'failed';
  fee: string;
  block_number: string;
  block_hash: string;
  localhash: string | null;
  token_transfers: string | null;
  /** This withdrawal's share of the transaction's fee when the transaction pays several (UTXO batches); else null. */
  share: string | null;
  /** The withdrawal's output in the transaction (UTXO chains); else null. */
  vout: number | null;
};

type TokenTransfer = { contract: string; from: string; to: string; amount: string };

/** What settling one withdrawal came to; `held` needs an operator (an alarm was raised). */
type Outcome =
  | { kind: 'skipped' }
  | { kind: 'confirmed' | 'failed'; txid: string; asset: string; amount: string }
  | { kind: 'held'; alert: AlertKind; details: Record<string, unknown> }
  | { kind: 'settled_despite_ctx'; settled: 'confirmed' | 'failed'; ctx: string; txid: string };

export type WithdrawalSettlement = { readonly confirmed: number; readonly failed: number; readonly held: number };

/**
 * Settles this node's withdrawals whose transaction the scanner has seen on chain with the asset's confirmations:
 * `confirmed` spends the frozen amount + fee (amount to the chain's outflow, fee to fee income), `failed` (the
 * transaction reverted, or a token reported success without moving anything) releases them back to the user.
 * Either way the network fee the chain really burned is booked (fee income pays it, in the chain's native asset).
 *
 * One MySQL transaction per withdrawal, which re-checks under lock that the transaction is one signsrv stored for
 * this very withdrawal, that its block is still the canonical one and deep enough, that the withdrawal row still
 * hashes to its localhash (and to the one signsrv received), and, for a token, that the chain moved exactly the
 * amount to the destination. What fails a check is held with an operator alarm (raised once), never guessed at;
 * Redis `blockout_ctx` is only a cross-check: when it disagrees with MySQL, MySQL decides and an alarm is raised.
 * Every candidate is looked at on each pass (keyset pages), so held ones cannot starve the rest.
 * @param dbs the node's databases: the settlement in its shard, alarms in the global database (docs/sharding.md)
 * @param pageSize candidates read at a time @default 200
 */
export async function settleWithdrawals(
  dbs: Knex | NodeDbs,
  nodeId: string,
  registry: AssetRegistry,
  log: Logger,
  pageSize = 200,
): Promise<WithdrawalSettlement> {
  const { global, shard: db } = nodeDbs(dbs);
  const result = { confirmed: 0, failed: 0, held: 0 };
  let after: { block: string; id: string } | null = null;
  for (;;) {
    const [page] = (await db.raw(
      `SELECT w.id, o.block_number FROM withdrawals w
       JOIN withdrawal_txs t ON t.withdrawal_id = w.id
       JOIN withdrawal_observations o ON o.chain = t.chain AND o.txid = t.txid
       WHERE w.node_id = ? AND w.status IN (${inFlightStatuses.map(() => '?').join(', ')})
         ${after ? 'AND (o.block_number > ? OR (o.block_number = ? AND w.id > ?))' : ''}
       ORDER BY o.block_number, w.id LIMIT ?`,
      [nodeId, ...inFlightStatuses, ...(after ? [after.block, after.block, after.id] : []), pageSize],
    )) as [Candidate[]];
    for (const c of page) {
      try {
        const outcome = await settleOne(db, nodeId, registry, c.id);
        if (outcome.kind === 'confirmed' || outcome.kind === 'failed') {
          result[outcome.kind]++;
          log.info(
            { withdrawalId: c.id, status: outcome.kind, txid: outcome.txid, asset: outcome.asset, amount: outcome.amount },
            `withdrawal ${outcome.kind}`,
          );
        }
        if (outcome.kind === 'settled_despite_ctx') {
          result[outcome.settled]++;
          log.info({ withdrawalId: c.id, status: outcome.settled, txid: outcome.txid }, `withdrawal ${outcome.settled}`);
          await raiseNodeAlertOnce(global, log, AlertKind.ctxMismatch, c.id, { txid: outcome.txid, blockoutCtx: outcome.ctx });
        }
        if (outcome.kind === 'held') {
          result.held++;
          await raiseNodeAlertOnce(global, log, outcome.alert, c.id, outcome.details);
        }
      } catch (error) {
        log.error({ err: error, withdrawalId: c.id }, 'settling a withdrawal failed; retrying on the next pass');
      }
    }
    const last = page[page.length - 1];
    if (page.length < pageSize || last === undefined) return result;
    after = { block: String(last.block_number), id: last.id };
  }
}

async function settleOne(db: Knex, nodeId: string, registry: AssetRegistry, id: string): Promise<Outcome> {
  return withTransaction(db, async (trx): Promise<Outcome> => {
    const w = await trx<WithdrawalRow>('withdrawals').where({ id, node_id: nodeId }).forUpdate().first();
    if (!w || !inFlightStatuses.includes(w.status)) return { kind: 'skipped' };
    // The observation must be of a transaction signsrv stored for this withdrawal (not merely claimed by Redis).
    const [obsRows] = (await trx.raw(
      `SELECT o.txid, o.from_address, o.status, CAST(o.fee AS CHAR) AS fee, o.block_number, o.block_hash, o.localhash,
         o.token_transfers, CAST(t.network_fee AS CHAR) AS share, t.vout
       FROM withdrawal_txs t
       JOIN withdrawal_observations o ON o.chain = t.chain AND o.txid = t.txid
       WHERE t.withdrawal_id = ? ORDER BY o.block_number DESC LIMIT 1 LOCK IN SHARE MODE`,
      [w.id],
    )) as [Observation[]];
    const o = obsRows[0];
    if (!o) return { kind: 'skipped' };

    // Deep enough, on the block the scanner holds as canonical now (a rewind re-records the transaction elsewhere).
    const [blockRows] = (await trx.raw(
      `SELECT (SELECT hash FROM chain_blocks WHERE chain = ? AND number = ?) AS hash,
              (SELECT MAX(number) FROM chain_blocks WHERE chain = ?) AS head`,
      [w.chain, o.block_number, w.chain],
    )) as [{ hash: string | null; head: string | null }[]];
    const stored = blockRows[0];
    if (stored === undefined || stored.head === null) return { kind: 'skipped' }; // nothing scanned yet
    if (stored.hash !== null && stored.hash !== o.block_hash) return { kind: 'skipped' }; // the scanner is rewinding it
    const asset = registry.asset(w.asset);
    if (Number(stored.head) - Number(o.block_number) + 1 < asset.confirmations) return { kind: 'skipped' };

    // MySQL must still agree with itself: the row hashes to its localhash, which is the one signsrv received and
    // signed against. A row altered since would settle a different amount than was paid.
    const [reviewRows] = (await trx.raw('SELECT localhash FROM sign_requests WHERE withdrawal_id = ?', [w.id])) as [
      { localhash: string }[],
    ];
    const recomputed = localhashOfRow(w);
    if (recomputed !== w.localhash || reviewRows[0]?.localhash !== w.localhash) {
      return {
        kind: 'held',
        alert: AlertKind.settlementHeld,
        details: { reason: 'integrity_mismatch', txid: o.txid, signsrvLocalhash: reviewRows[0]?.localhash ?? null },
      };
    }

    let status: 'confirmed' | 'failed' = o.status === 'success' ? 'confirmed' : 'failed';
    let reason = status === 'failed' ? 'the transaction reverted on chain; the amount and fee were released' : undefined;
    if (status === 'confirmed' && asset.contract !== undefined && o.token_transfers !== null) {
      // A token withdrawal is paid when the listed contract logged the transfer of exactly the amount, from the hot
      // wallet to the destination. No transfer at all: the token said yes and moved nothing (returned false). Any
      // other transfer (another amount, a fee-on-transfer token): nobody can tell what is owed; an operator decides.
      const contract = asset.contract.toLowerCase();
      const mine = (JSON.parse(o.token_transfers) as TokenTransfer[]).filter(
        (t) => t.contract === contract && t.from === o.from_address.toLowerCase(),
      );
      const exact = mine.some((t) => t.to === w.to_address.toLowerCase() && t.amount === w.amount);
      if (!exact && mine.length > 0) {
        return {
          kind: 'held',
          alert: AlertKind.settlementHeld,
          details: { reason: 'token_transfer_mismatch', txid: o.txid, expected: { to: w.to_address, amount: w.amount }, transfers: mine },
        };
      }
      if (!exact) {
        status = 'failed';
        reason = 'the token contract reported success but moved no tokens; the amount and fee were released';
      }
    }

    const total = BigInt(w.amount) + BigInt(w.fee);
    const amount = BigInt(w.amount);
    const fee = BigInt(w.fee);
    // What the chain burned for this withdrawal: the transaction's fee, or its share of it (by the vbytes of its output).
    const networkFee = BigInt(o.share ?? o.fee);
    const native = registry.chain(w.chain).nativeAsset;
    const lines: JournalLine[] =
      status === 'confirmed'
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
    if (status === 'confirmed' && fee > 0n) {
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
      to: status,
      actor: 'chain',
      txid: o.txid,
      ...(reason === undefined ? {} : { reason }),
      set: {
        network_fee: networkFee.toString(),
        block_number: Number(o.block_number),
        block_hash: o.block_hash,
        ...(o.vout === null ? {} : { output_index: o.vout }),
      },
    });
    // Redis' blockout_ctx is a cross-check only (MySQL decided above): a different localhash there was altered.
    if (o.localhash !== null && o.localhash !== w.localhash) {
      return { kind: 'settled_despite_ctx', settled: status, ctx: o.localhash, txid: o.txid };
    }
    return { kind: status, txid: o.txid, asset: w.asset, amount: String(w.amount) };
  });
}
