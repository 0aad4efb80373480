import { withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import { type PayoutContext, familyOf } from './PayoutContext.js';
import type { InFlightTx, StoredTx } from './PayoutFamily.js';
import type { RefusalAlarms } from './RefusalAlarms.js';
import { attemptOf } from './txStore.js';
import { queueResponse } from './queueResponse.js';

/**
 * Sends stored signed transactions, for any family: blockout_ctx (txid -> localhash) is written before a transaction
 * leaves the process, the first send is reported on blockout_rsp (`broadcast`), and every send is recorded in
 * `withdrawal_txs`. One send of a transaction at a time in this process (approval and the sender's pass must not both
 * send one).
 */
export class TxSender {
  readonly #sending = new Set<string>();

  constructor(
    private readonly ctx: PayoutContext,
    private readonly alarms: RefusalAlarms,
    /** A replaced transaction is kept sent at this interval while its replacement is refused. */
    private readonly rebroadcastAfterMs: number,
  ) {}

  /** Puts the transaction in blockout_ctx, sends it to the node, then records that it was sent. */
  async send(tx: StoredTx, localhash: string, nodeId: string): Promise<void> {
    if (this.#sending.has(tx.txid)) return;
    this.#sending.add(tx.txid);
    try {
      await this.#sendOnce(tx, localhash, nodeId);
    } finally {
      this.#sending.delete(tx.txid);
    }
  }

  /**
   * Sends a withdrawal's latest transaction. When the node refuses a replacement outright (the hot wallet cannot pay
   * its higher fee), the transaction it replaces is still valid and may be all that holds its inputs: it is kept sent
   * (at the re-send interval) until the replacement is accepted or one of them is mined.
   * @throws the replacement's refusal, after keeping the earlier transaction sent
   */
  async sendOrKeepReplaced(tx: InFlightTx): Promise<void> {
    try {
      await this.send(tx, tx.localhash, tx.node_id);
    } catch (error) {
      if (tx.attempt > 0 && isWalletError(error, 'VALIDATION_FAILED')) {
        const previous = await attemptOf(this.ctx.db, tx.withdrawal_id, tx.attempt - 1);
        if (previous && Number(previous.since_sent_ms) >= this.rebroadcastAfterMs) {
          await this.send(previous, tx.localhash, tx.node_id).catch((e: unknown) =>
            this.ctx.log.warn(
              { err: e, withdrawalId: tx.withdrawal_id, txid: previous.txid },
              're-sending the replaced transaction failed',
            ),
          );
        }
      }
      throw error;
    }
  }

  /** Whether the chain mined any of the withdrawal's transactions. */
  async anyAttemptMined(tx: StoredTx): Promise<boolean> {
    const attempts = await this.ctx.db<StoredTx>('withdrawal_txs').where({ withdrawal_id: tx.withdrawal_id });
    const family = familyOf(this.ctx, tx.chain);
    for (const a of attempts) if (await family.isMined(a.txid)) return true;
    return false;
  }

  async #sendOnce(tx: StoredTx, localhash: string, nodeId: string): Promise<void> {
    const { db, redis, ctxKey, log } = this.ctx;
    const family = familyOf(this.ctx, tx.chain);
    await redis.hset(ctxKey, tx.txid, localhash);
    let outcome;
    try {
      outcome = await family.broadcast(tx);
    } catch (error) {
      // The node refuses this very transaction (the hot wallet cannot pay for it, or it is invalid): it will refuse
      // it again, and everything queued behind it waits. Operators must know; it is retried meanwhile.
      if (isWalletError(error, 'VALIDATION_FAILED'))
        this.alarms.sendRefused(tx.withdrawal_id, error, { txid: tx.txid, nonce: nonceOf(tx) });
      throw error;
    }
    if (outcome === 'inputs_used') {
      // What it spends is spent on chain: by one of this withdrawal's transactions (the scanner will report it), or
      // by something signsrv did not sign.
      if (await this.anyAttemptMined(tx)) return;
      await raiseAlert(db, log, AlertKind.nonceUsedElsewhere, tx.withdrawal_id, { chain: tx.chain, nonce: nonceOf(tx), txid: tx.txid });
      return;
    }
    this.ctx.crash('signsrv.after_broadcast');
    // Every withdrawal the transaction pays (a batch: several) hears `broadcast` once, on the first send that finds its
    // row not yet sent (locked as it is read: two senders cannot both report it).
    const first = await withTransaction(db, async (trx) => {
      const unsent = await trx('withdrawal_txs as t')
        .join('withdrawals as w', 'w.id', 't.withdrawal_id')
        .where({ 't.chain': tx.chain, 't.txid': tx.txid })
        .whereNull('t.broadcast_at')
        .forUpdate()
        .select<{ withdrawal_id: string; node_id: string }[]>('t.withdrawal_id', 'w.node_id');
      await trx('withdrawal_txs')
        .where({ chain: tx.chain, txid: tx.txid })
        .update({
          broadcast_at: trx.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
          last_broadcast_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      if (unsent.length > 0) {
        await queueResponse(
          trx,
          ...unsent.map((u) => ({
            type: 'broadcast' as const,
            withdrawalId: u.withdrawal_id,
            nodeId: u.withdrawal_id === tx.withdrawal_id ? nodeId : u.node_id,
            txid: tx.txid,
          })),
        );
      }
      return unsent.map((u) => u.withdrawal_id);
    });
    this.ctx.relay.kick();
    if (first.length > 0) log.info({ withdrawalIds: first, txid: tx.txid, attempt: tx.attempt }, 'withdrawal broadcast');
  }
}

/** A stored transaction's nonce as a number, for logs and alarms; null for families without one. */
export function nonceOf(tx: Pick<StoredTx, 'nonce'>): number | null {
  return tx.nonce === null ? null : Number(tx.nonce);
}
