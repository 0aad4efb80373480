import { AlertKind, raiseAlertOnce } from '@wallet/withdrawal-protocol';
import { type PayoutContext, familyOf } from './PayoutContext.js';
import type { InFlightTx } from './PayoutFamily.js';
import type { RefusalAlarms } from './RefusalAlarms.js';
import { replaceStuck } from './replaceStuck.js';
import { signingControls } from './review/policyStore.js';
import type { SignRetries } from './SignRetries.js';
import type { TxSender } from './TxSender.js';
import { droppedSettled, latestInFlight } from './txStore.js';

/** Options of {@link PayoutSender}. */
export type PayoutSenderOptions = {
  /** A transaction not mined after this long is replaced with a higher fee (same inputs). */
  readonly bumpAfterMs: number;
  /** A sent transaction not yet mined is sent again this often (nodes drop pool entries). */
  readonly rebroadcastAfterMs: number;
  /** How often the node is asked for the receipts of recently confirmed withdrawals. */
  readonly receiptCheckMs: number;
  /** How many of the most recently confirmed withdrawals (settled within the last 24 h) that check looks at. */
  readonly receiptCheckCount: number;
};

/**
 * The sender's pass, the same for every chain family: what keeps approved withdrawals moving until the chain mines
 * them, whatever crashed or was dropped on the way. Chain-specific decisions (nonces, which transaction a fee bump
 * can help, what a replacement is) are the families'.
 */
export class PayoutSender {
  /** When the receipts of recently confirmed withdrawals were last checked (this process's clock: a cadence only). */
  #receiptsCheckedAt = 0;

  constructor(
    private readonly ctx: PayoutContext,
    private readonly o: PayoutSenderOptions,
    private readonly txs: TxSender,
    private readonly sign: (withdrawalId: string) => Promise<void>,
    private readonly retries: SignRetries,
    private readonly alarms: RefusalAlarms,
  ) {}

  /**
   * One pass: each family reconciles with its chain (EVM: nonces; transactions the chain forgot are re-sent as they
   * are); signs approved withdrawals that have no transaction yet (a crash or an unreachable node came between
   * approval and signing), each failing one backing off on its own; sends signed transactions not yet sent; re-sends
   * unmined ones; and replaces a stuck one (older than `bumpAfterMs`) when its family says a replacement can help.
   * Settled withdrawals whose block a deep reorg dropped are re-sent too. Ages are MySQL's own (its clock wrote the
   * times), never compared with this process's clock.
   */
  async tick(): Promise<void> {
    const { db, log } = this.ctx;
    for (const family of this.ctx.families.values()) {
      for (const tx of await family.reconcile()) {
        if (Number(tx.since_sent_ms) < this.o.rebroadcastAfterMs) continue;
        log.warn(
          { withdrawalId: tx.withdrawal_id, txid: tx.txid, nonce: tx.nonce === null ? null : Number(tx.nonce) },
          'the chain forgot a mined withdrawal transaction: re-sending the same signed transaction',
        );
        await this.txs
          .send(tx, tx.localhash, tx.node_id)
          .catch((error: unknown) =>
            log.warn({ err: error, withdrawalId: tx.withdrawal_id, txid: tx.txid }, 're-sending a forgotten transaction failed; retrying'),
          );
      }
    }
    if (Date.now() - this.#receiptsCheckedAt >= this.o.receiptCheckMs) {
      this.#receiptsCheckedAt = Date.now();
      await this.checkSettledReceipts().catch((error: unknown) => log.warn({ err: error }, 'checking settled receipts failed'));
    }
    await this.flagDestinations().catch((error: unknown) => log.warn({ err: error }, 'destination lookups failed'));
    await this.signUnsigned();

    // A transaction paying several withdrawals (a UTXO batch) has a row for each: it is handled once.
    const handled = new Set<string>();
    for (const row of await latestInFlight(db)) {
      const tx: InFlightTx = row;
      if (handled.has(`${tx.chain}:${tx.txid}`)) continue;
      handled.add(`${tx.chain}:${tx.txid}`);
      try {
        if (tx.broadcast_at === null) {
          await this.txs.sendOrKeepReplaced(tx);
          continue;
        }
        // A replacement signed by another key is refused with an alarm by replaceStuck: handed to it whatever its place.
        const family = familyOf(this.ctx, tx.chain);
        const replaceable = !family.isActiveSender(tx.from_address) || family.mayReplace(tx);
        if (Number(row.age_ms) >= this.o.bumpAfterMs && replaceable && !(await this.txs.anyAttemptMined(tx))) {
          if (await replaceStuck(this.ctx, this.txs, tx)) continue;
        }
        // Not replaced (not stuck, behind another, at the fee cap, or refused): the node may have dropped it.
        if (Number(row.since_sent_ms) >= this.o.rebroadcastAfterMs) await this.txs.send(tx, tx.localhash, tx.node_id);
      } catch (error) {
        log.warn({ err: error, withdrawalId: tx.withdrawal_id, txid: tx.txid }, 'sending failed; retrying');
      }
    }

    // The books keep the settlement of a withdrawal whose block a reorg deeper than its confirmations dropped; the very
    // transaction that was mined is sent again until it is mined again, so the chain catches up with the books and
    // the hot wallet's later transactions are not left behind a gap.
    for (const tx of await droppedSettled(db)) {
      if (Number(tx.since_sent_ms) < this.o.rebroadcastAfterMs || handled.has(`${tx.chain}:${tx.txid}`)) continue;
      handled.add(`${tx.chain}:${tx.txid}`);
      log.warn({ withdrawalId: tx.withdrawal_id, txid: tx.txid }, 'a reorg dropped a settled withdrawal: re-sending its transaction');
      await this.txs
        .send(tx, tx.localhash, tx.node_id)
        .catch((error: unknown) =>
          log.warn(
            { err: error, withdrawalId: tx.withdrawal_id, txid: tx.txid },
            're-sending a dropped settled transaction failed; retrying',
          ),
        );
    }
  }

  /**
   * Asks the node for each recently confirmed withdrawal's transaction (the last `receiptCheckCount`, settled within
   * the last 24 h) and raises `settled_receipt_missing` (once per withdrawal) for each one it no longer has mined: the
   * books say paid, the chain does not. Re-sending is the families' reconcile's; this only tells operators.
   * @returns the withdrawals whose transaction is missing
   */
  async checkSettledReceipts(): Promise<string[]> {
    const { db, log } = this.ctx;
    const rows = await db('withdrawals')
      .where({ status: 'confirmed' })
      .whereNotNull('txid')
      .whereNull('internal_account_id')
      .whereIn('chain', [...this.ctx.families.keys()])
      .andWhere('updated_at', '>=', db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 1 DAY'))
      .orderBy('id', 'desc')
      .limit(this.o.receiptCheckCount)
      .select<{ id: string; chain: string; txid: string; block_number: string | null }[]>('id', 'chain', 'txid', 'block_number');
    const missing: string[] = [];
    await Promise.all(
      rows.map(async (r) => {
        try {
          if (await familyOf(this.ctx, r.chain).isMined(r.txid)) return;
        } catch (error) {
          log.warn({ err: error, withdrawalId: r.id, txid: r.txid }, 'could not ask for a settled receipt; retrying later');
          return;
        }
        missing.push(r.id);
        await raiseAlertOnce(db, log, AlertKind.settledReceiptMissing, r.id, {
          chain: r.chain,
          txid: r.txid,
          settledInBlock: r.block_number === null ? null : Number(r.block_number),
        });
      }),
    );
    return missing;
  }

  /**
   * Looks up whether the destinations of received, undecided withdrawals are contracts, for the reviewers'
   * `destinationIsContract`: after the request was accepted (the client's request waits for no chain call), on
   * signsrv's side where the chain's node is at hand. Those the node could not answer stay unknown (null) and are
   * looked up again on the sender's next pass.
   * @returns how many were flagged
   */
  async flagDestinations(limit = 100): Promise<number> {
    const { db, log } = this.ctx;
    const rows = await db('sign_requests as r')
      .join('withdrawals as w', 'w.id', 'r.withdrawal_id')
      .whereNull('r.destination_is_contract')
      .whereNull('r.decision')
      .whereNull('w.internal_account_id')
      .orderBy('r.withdrawal_id')
      .limit(limit)
      .select<{ id: string; chain: string; to_address: string }[]>('w.id', 'w.chain', 'w.to_address');
    let flagged = 0;
    await Promise.all(
      rows.map(async (r) => {
        const family = this.ctx.families.get(r.chain);
        if (!family) return;
        try {
          const isContract = await family.destinationIsContract(r.to_address);
          await db('sign_requests')
            .where({ withdrawal_id: r.id })
            .whereNull('destination_is_contract')
            .update({ destination_is_contract: isContract });
          flagged++;
        } catch (error) {
          log.warn({ err: error, withdrawalId: r.id }, 'could not look up whether the destination is a contract; retrying');
        }
      }),
    );
    return flagged;
  }

  /**
   * Signs approved withdrawals without a transaction (at most 50 a pass), skipping those backing off after a failure:
   * approved by signsrv and moved to approved by their transrv, past their hold. Nothing while signing is paused.
   */
  async signUnsigned(): Promise<void> {
    if ((await signingControls(this.ctx.db)).paused) return;
    const approved = await this.ctx
      .db('withdrawals as w')
      .join('sign_requests as r', 'r.withdrawal_id', 'w.id')
      .leftJoin('withdrawal_txs as t', 't.withdrawal_id', 'w.id')
      // Held while their client is disabled: not retried (nor alarmed) until it is enabled again.
      .join('clients as c', 'c.id', 'w.client_id')
      .where('w.status', 'approved')
      .andWhere('r.decision', 'approved')
      .andWhere((q) => void q.whereNull('r.hold_until').orWhere('r.hold_until', '<=', this.ctx.db.raw('CURRENT_TIMESTAMP(3)')))
      .andWhere('c.status', 'active')
      // Internal ones are settled in the ledger by transrv.
      .whereNull('w.internal_account_id')
      .whereNull('t.txid')
      // An asset whose kill switch is pulled (reconciliation's halt) waits without backing off or alarming: signed on
      // the first pass after an admin releases it (signApproved re-checks the switch inside its transaction).
      .whereNotIn('w.asset', this.ctx.db('asset_signing_halts').where('halted', true).select('asset'))
      .orderBy('w.id')
      .limit(500)
      .pluck<string[]>('w.id');
    const due = this.retries.due(approved, Date.now()).slice(0, 50);
    await Promise.all(
      due.map((id) =>
        this.sign(id).then(
          () => this.retries.forget(id),
          (error: unknown) => {
            this.retries.failed(id, Date.now());
            this.alarms.buildFailed(id, error);
          },
        ),
      ),
    );
  }
}
