import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { AlertKind, type WithdrawalRow, invalidDestination, raiseAlertOnce } from '@wallet/withdrawal-protocol';
import { approvalProblems } from './approvalProblems.js';
import { type PayoutContext, familyOf } from './PayoutContext.js';
import type { PayoutFamily } from './PayoutFamily.js';
import { queueResponse } from './queueResponse.js';
import { type AssetHalt, assetHaltedError, haltedAssets } from './review/assetHalts.js';
import { signingControls } from './review/policyStore.js';
import { assertSigningAllowed } from './review/signingAllowed.js';
import type { BatchOutcome } from './SigningQueue.js';
import type { TxSender } from './TxSender.js';
import { type NewTx, insertTxs, newTxs } from './txStore.js';
import { type UnpayableReason, unpayableDestinations } from './unpayableDestinations.js';

/** A withdrawal its family built a draft for, before the signing transaction. */
type Prepared = { readonly row: WithdrawalRow; readonly family: PayoutFamily; readonly draft: unknown };

/**
 * Builds, signs and stores the transactions of approved withdrawals in one MySQL transaction, then starts sending them;
 * the same for every chain family. Outside any lock, each chain's family builds its withdrawals (node calls). Inside
 * the transaction the withdrawals are locked and re-read, and each is signed only if it is still approved by signsrv,
 * unsigned, not voided, of an enabled client, payable (its destination not an address of ours), and still hashes to
 * the localhash signsrv received, with the fields it was built from unchanged. Then each family reserves inputs
 * (EVM: nonces, in approval order) and signs; the signed transactions and their `signed` reports commit with the
 * reservation. blockout_ctx is written before a transaction leaves the process (see {@link TxSender}).
 * @param ids withdrawals to sign; those already signed, not approved, or internal are skipped
 * @returns the error of each that failed, and when the sends have ended (they never reject: a failed send is logged
 * and left to the sender)
 */
export async function signApproved(ctx: PayoutContext, sender: TxSender, ids: readonly string[]): Promise<BatchOutcome> {
  const { db, log } = ctx;
  const errors = new Map<string, unknown>();
  const already = new Set(
    await db('withdrawal_txs')
      .whereIn('withdrawal_id', [...ids])
      .pluck<string[]>('withdrawal_id'),
  );
  const controls = await signingControls(db);
  if (controls.paused) {
    // The kill switch: nothing is built (no inputs reserved) or signed; re-checked inside the signing transaction.
    for (const id of ids) errors.set(id, pausedError(controls.pausedBy, controls.pauseReason));
    return { errors, sent: Promise.resolve() };
  }
  const rows = (
    await db<WithdrawalRow>('withdrawals as w')
      .join('sign_requests as r', 'r.withdrawal_id', 'w.id')
      .whereIn('w.id', [...ids])
      // transrv has applied signsrv's approval (it owns the row): until then, and during the hold, nothing is built.
      .where('w.status', 'approved')
      .andWhere('r.decision', 'approved')
      .andWhere((q) => void q.whereNull('r.hold_until').orWhere('r.hold_until', '<=', db.raw('CURRENT_TIMESTAMP(3)')))
      // Internal withdrawals are settled in the ledger by transrv: never signed, never sent.
      .whereNull('w.internal_account_id')
      .select<WithdrawalRow[]>('w.*')
  ).filter((r) => !already.has(r.id));
  // An asset's own kill switch (reconciliation's halt): its withdrawals are not built either; re-checked inside the
  // signing transaction like the global one.
  const haltedBefore = await haltedAssets(
    db,
    rows.map((r) => r.asset),
  );
  for (const r of rows) {
    const halt = haltedBefore.get(r.asset);
    if (halt) errors.set(r.id, assetHaltedError(halt));
  }
  const prepared = await build(
    ctx,
    rows.filter((r) => !haltedBefore.has(r.asset)),
    errors,
  );
  if (prepared.length === 0) return { errors, sent: Promise.resolve() };
  // Inputs in approval order (withdrawal ids are time-ordered).
  prepared.sort((a, b) => (a.row.id < b.row.id ? -1 : 1));

  let mismatched: { id: string; fields: string[] }[] = [];
  let held: string[] = [];
  let unpayable = new Map<string, UnpayableReason>();
  let unreserved: string[] = [];
  let paused: WalletError | null = null;
  let haltedRows = new Map<string, AssetHalt>();
  const txs = await withTransaction(db, async (trx) => {
    mismatched = [];
    unreserved = [];
    paused = null;
    const batchIds = prepared.map((p) => p.row.id);
    const locked = new Map(
      (await trx<WithdrawalRow>('withdrawals').whereIn('id', batchIds).orderBy('id').forUpdate()).map((r) => [r.id, r]),
    );
    const signed = new Set(await trx('withdrawal_txs').whereIn('withdrawal_id', batchIds).pluck<string[]>('withdrawal_id'));
    // A disabled client's withdrawals are not signed (accountsrv owns clients; this is a read at signing time, after
    // the withdrawal locks: a disable committed before them is seen). Enabled again, the sender's pass signs them.
    const disabledClients = new Set(
      await trx('clients')
        .whereIn('id', [...new Set([...locked.values()].map((r) => r.client_id))])
        .andWhere('status', 'disabled')
        .pluck<string[]>('id'),
    );
    held = [];
    // The kill switch, read for share after the withdrawal locks: pulling it waits for this transaction, or it is seen.
    try {
      await assertSigningAllowed(trx);
    } catch (error) {
      paused = error as WalletError;
      return [];
    }
    // Each asset's switch, read for share the same way: a halted asset's withdrawals are skipped, the others signed.
    const halts = await haltedAssets(
      trx,
      [...locked.values()].map((r) => r.asset),
      'share',
    );
    haltedRows = new Map();
    const reviews = new Map(
      // A plain read after the withdrawal locks above (the transaction's snapshot starts after them): a decision or a
      // void that held those locks first has committed, and is seen. Every decision locks the withdrawal before its
      // sign_requests row, as this does.
      (
        await trx('sign_requests').whereIn('withdrawal_id', batchIds).select<
          {
            withdrawal_id: string;
            localhash: string;
            decision: string | null;
            held: number;
            decided_by: string | null;
            policy_id: string | null;
          }[]
        >('withdrawal_id', 'localhash', 'decision', 'decided_by', 'policy_id', trx.raw('COALESCE(hold_until > CURRENT_TIMESTAMP(3), 0) AS held'))
      ).map((r) => [r.withdrawal_id, r]),
    );
    // Defence in depth: a destination that became an address of ours after the request was screened is not paid.
    unpayable = await unpayableDestinations(trx, ctx.registry, [...locked.values()]);
    const ready: Prepared[] = [];
    for (const p of prepared) {
      const row = locked.get(p.row.id);
      if (!row || row.status !== 'approved' || signed.has(row.id)) continue;
      if (row.internal_account_id !== null) continue; // settled in the ledger by transrv: never signed
      if (unpayable.has(row.id)) continue;
      const halt = halts.get(row.asset);
      if (halt) {
        haltedRows.set(row.id, halt);
        continue;
      }
      const review = reviews.get(row.id);
      if (review?.decision === 'voided') continue; // given up before signing: never signed
      if (review?.held) continue; // still in its hold after the final approval (it may yet be cancelled)
      if (disabledClients.has(row.client_id)) {
        held.push(row.id);
        continue;
      }
      const problems = approvalProblems(row, review);
      // What was built outside the transaction must be the row's as it is now.
      if (row.to_address !== p.row.to_address || row.amount !== p.row.amount || row.asset !== p.row.asset) problems.push('changed');
      if (problems.length > 0) mismatched.push({ id: row.id, fields: problems });
      else ready.push({ ...p, row });
    }
    const out: NewTx[] = [];
    for (const chainId of new Set(ready.map((p) => p.row.chain))) {
      const group = ready.filter((p) => p.row.chain === chainId);
      const family = group[0]!.family;
      const unsigned = await family.reserve(
        trx,
        group.map((p) => ({ row: p.row, draft: p.draft })),
      );
      const rowsById = new Map(group.map((p) => [p.row.id, p.row]));
      for (const u of unsigned) out.push(...newTxs(chainId, await family.sign(u), 0, rowsById));
      for (const p of group) if (!out.some((t) => t.withdrawal_id === p.row.id)) unreserved.push(p.row.id);
    }
    await insertTxs(trx, out);
    // Every signature in the audit log, with the approvals behind it.
    const approvers = await approversOf(trx, [...new Set(out.map((t) => t.withdrawal_id))]);
    for (const t of out) {
      const review = reviews.get(t.withdrawal_id);
      await ctx.audit(trx, {
        actor: 'signsrv',
        action: 'signed',
        subject: t.withdrawal_id,
        details: {
          chain: t.chain,
          txid: t.txid,
          localhash: t.localhash,
          approvals: approvers.get(t.withdrawal_id) ?? [],
          decidedBy: review?.decided_by ?? null,
          policyId: review?.policy_id === null || review?.policy_id === undefined ? null : String(review.policy_id),
        },
      });
    }
    await queueResponse(
      trx,
      ...out.map((t) => ({ type: 'signed' as const, withdrawalId: t.withdrawal_id, nodeId: t.node_id, txid: t.txid })),
    );
    return out;
  });
  if (paused !== null) {
    for (const id of ids) errors.set(id, paused);
    return { errors, sent: Promise.resolve() };
  }
  for (const [id, halt] of haltedRows) errors.set(id, assetHaltedError(halt));
  for (const id of held) {
    errors.set(
      id,
      new WalletError('CLIENT_DISABLED', "the withdrawal's client is disabled: not signed", { details: { withdrawalId: id } }),
    );
  }
  if (held.length > 0) log.info({ withdrawalIds: held }, 'held for signing: the client is disabled');
  for (const id of unreserved) {
    errors.set(
      id,
      new WalletError('UNAVAILABLE', "the withdrawal's inputs could not be reserved: not signed, retried", {
        details: { withdrawalId: id },
      }),
    );
  }
  for (const [id, reason] of unpayable) {
    const row = rows.find((r) => r.id === id);
    errors.set(id, invalidDestination(row?.to_address ?? '', reason));
    await raiseAlertOnce(db, log, AlertKind.invalidDestination, id, { to: row?.to_address ?? null, reason, during: 'signing' });
  }
  for (const m of mismatched) {
    errors.set(
      m.id,
      new WalletError('INTEGRITY_MISMATCH', 'the withdrawal no longer matches its localhash: not signed', {
        details: { withdrawalId: m.id, fields: m.fields },
      }),
    );
    await raiseAlertOnce(db, log, AlertKind.integrityMismatch, m.id, { fields: m.fields, during: 'signing' });
  }
  if (txs.length === 0) return { errors, sent: Promise.resolve() };
  ctx.relay.kick();
  for (const t of txs)
    log.info({ withdrawalId: t.withdrawal_id, txid: t.txid, nonce: t.nonce === null ? null : Number(t.nonce) }, 'withdrawal signed');
  ctx.crash('signsrv.after_sign');
  // One send per transaction (a batch's rows share it; the send reports `broadcast` for each of them).
  const firsts = [...new Map(txs.map((t) => [t.txid, t])).values()];
  const sent = Promise.all(
    firsts.map((t) =>
      sender
        .send(t, t.localhash, t.node_id)
        .catch((error: unknown) =>
          log.warn({ err: error, withdrawalId: t.withdrawal_id, txid: t.txid }, 'sending failed; the sender retries'),
        ),
    ),
  ).then(() => undefined);
  return { errors, sent };
}

/**
 * Each chain's family builds its withdrawals, outside any lock (the chains' node calls run side by side).
 * @returns the withdrawals built; `errors` gets the others' (UNSUPPORTED_CHAIN where signsrv does not pay out)
 */
async function build(ctx: PayoutContext, rows: readonly WithdrawalRow[], errors: Map<string, unknown>): Promise<Prepared[]> {
  const prepared: Prepared[] = [];
  await Promise.all(
    [...new Set(rows.map((r) => r.chain))].map(async (chainId) => {
      const group = rows.filter((r) => r.chain === chainId);
      try {
        const family = familyOf(ctx, chainId);
        const built = await family.build(group);
        for (const row of group) {
          if (built.drafts.has(row.id)) prepared.push({ row, family, draft: built.drafts.get(row.id) });
          else if (built.deferred?.has(row.id))
            continue; // left for a later pass (a batch filling up): not an error
          else
            errors.set(row.id, built.errors.get(row.id) ?? new WalletError('INTERNAL', 'not built', { details: { withdrawalId: row.id } }));
        }
      } catch (error) {
        for (const row of group) errors.set(row.id, error);
      }
    }),
  );
  return prepared;
}

/** Who approved each withdrawal (approvals given to its current localhash), for the audit entry of its signature. */
async function approversOf(trx: Knex.Transaction, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await trx('withdrawal_approvals as a')
    .join('sign_requests as r', 'r.withdrawal_id', 'a.withdrawal_id')
    .whereIn('a.withdrawal_id', [...ids])
    .andWhereRaw('a.localhash = r.localhash')
    .orderBy('a.created_at')
    .select<{ withdrawal_id: string; approver: string }[]>('a.withdrawal_id', 'a.approver');
  for (const r of rows) out.set(r.withdrawal_id, [...(out.get(r.withdrawal_id) ?? []), r.approver]);
  return out;
}

function pausedError(pausedBy: string | null, reason: string | null): WalletError {
  return new WalletError('SIGNING_PAUSED', 'signing is paused by an admin (kill switch)', { details: { pausedBy, reason } });
}
