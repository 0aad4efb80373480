import type { UtxoAdapter } from '@wallet/chains';
import { type Knex, withTransaction } from '@wallet/db';
import type { AuditFn } from '../review/Audit.js';
import { assertSigningAllowed } from '../review/signingAllowed.js';
import { WalletError, isWalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import type { Logger } from '@wallet/logger';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import { Psbt } from 'bitcoinjs-lib';
import { type CheckBuildOptions, type ExpectedPayment, type InputKey, checkBuild } from './checkBuild.js';
import { P2WPKH_DUST_LIMIT, chooseCoins, vsizeOf } from './coinSelection.js';
import { confirmedEnough, lockCoins } from './utxoLocks.js';

/** When the consolidation job merges outputs on its own. */
export type AutoConsolidation = {
  /** Only while the fee rate is at most this (sat/vB). */
  readonly belowFeeRate: bigint;
  /** Only once the chain has at least this many spendable outputs. */
  readonly minUtxos: number;
  /** Most outputs merged by one consolidation. */
  readonly maxInputs: number;
};

/** What the consolidations need of their payout family. */
export type ConsolidationDeps = {
  readonly chain: string;
  readonly db: Knex;
  readonly log: Logger;
  readonly adapter: UtxoAdapter;
  readonly network: CheckBuildOptions['network'];
  /** The wallet's main address (`/1/0`) and its script (hex): where merged outputs go. */
  readonly target: { readonly address: string; readonly script: string };
  /** The native asset, and the confirmations a consolidation needs to be booked. */
  readonly nativeAsset: string;
  readonly confirmations: number;
  readonly minConf: number;
  /** The rate a consolidation or cold transfer pays: the payout family's, capped as its check requires. */
  readonly feeRate: () => Promise<{ readonly satPerVbyte: bigint }>;
  /** The same check and signer as withdrawals (a cold transfer's payment is checked as a withdrawal's is). */
  readonly checkOptions: (buildId: string, psbt: string, payments?: readonly ExpectedPayment[]) => CheckBuildOptions;
  /** A destination's scriptPubKey, hex. @throws WalletError INVALID_ADDRESS */
  readonly scriptOf: (address: string) => string;
  readonly sign: (psbt: string, keys: readonly InputKey[]) => { txid: string; raw: string };
  /** Re-send an unmined consolidation this often (ms). */
  readonly rebroadcastAfterMs: number;
  readonly auto?: AutoConsolidation;
  /** The audit log every signature goes to (see @wallet/audit). */
  readonly audit?: AuditFn;
};

type Candidate = { txid: string; vout: number; script: string; amount: string };
type ConsolidationRow = { id: string; txid: string | null; raw: string | null; fee: string; status: string };

/** What one consolidation merged. */
export type ConsolidationBuilt = {
  readonly buildId: string;
  readonly txid: string;
  readonly inputs: number;
  readonly amount: bigint;
  readonly fee: bigint;
};

/** Outputs of one consolidation at most (a standard transaction stays well below 100 kvB: 1,000 P2WPKH inputs are 68 kvB). */
export const MAX_CONSOLIDATION_INPUTS = 1000;

/**
 * The consolidation job of a UTXO chain (the design's "sweep to the main address"): merges many small outputs of the
 * wallet's UTXO set into one output of its main address (`/1/0`), so later withdrawals spend few inputs. A
 * consolidation is a `utxo_builds` row of kind `consolidation` with its own lifecycle (`built` -> `signed` ->
 * `broadcast` -> `confirmed`), built, checked ({@link checkBuild}: inputs ours and locked for it, its one output the
 * wallet's, the fee within bounds) and signed by signsrv like any payout, sent and re-sent until mined, and booked once
 * the scanner has seen it with the native asset's confirmations: its fee moves from fee income to the chain's network
 * fees in the journal (no user's balance changes: the coins stay the wallet's). Started by hand
 * (`utxo_consolidation_requests`, from `walletctl utxo consolidate`) or on its own when the fee rate is low.
 */
export class UtxoConsolidations {
  constructor(private readonly d: ConsolidationDeps) {}

  /**
   * One pass: answers a waiting request, starts an automatic consolidation when due, sends signed ones, and books those
   * the chain has confirmed. Never throws (failures are logged and retried on the next pass).
   */
  async pass(): Promise<void> {
    const { log } = this.d;
    for (const step of [
      () => this.#answerRequest(),
      () => this.#auto(),
      () => this.#coldTransfers(),
      () => this.#send(),
      () => this.#book(),
    ]) {
      try {
        await step();
      } catch (error) {
        log.warn({ err: error }, 'consolidation step failed; retrying');
      }
    }
  }

  /**
   * Builds, checks and signs a consolidation of at most `maxInputs` of the smallest spendable outputs.
   * @throws WalletError VALIDATION_FAILED (`details.reason` `too_few_utxos`, `dust`, `bad_max_inputs`), UNAVAILABLE
   */
  async consolidate(maxInputs: number): Promise<ConsolidationBuilt> {
    const { db, chain, log } = this.d;
    if (!Number.isInteger(maxInputs) || maxInputs < 2 || maxInputs > MAX_CONSOLIDATION_INPUTS) {
      throw new WalletError('VALIDATION_FAILED', `maxInputs must be 2..${MAX_CONSOLIDATION_INPUTS}`, {
        details: { reason: 'bad_max_inputs' },
      });
    }
    const fee = await this.d.feeRate();
    const buildId = newId('bld');
    const built = await withTransaction(db, async (trx) => {
      const [clock] = (await trx.raw(
        `SELECT CURRENT_TIMESTAMP(3) AS now, CURRENT_TIMESTAMP(3) + INTERVAL 10 MINUTE AS until,
           (SELECT MAX(number) FROM chain_blocks WHERE chain = ?) AS tip`,
        [chain],
      )) as [{ now: Date; until: Date; tip: string | number | null }[]];
      const { now, until, tip } = clock[0]!;
      if (tip === null) throw new WalletError('UNAVAILABLE', `chain ${chain} is not scanned yet`, { details: { chain } });
      // The smallest spendable outputs, read in index order and row-locked as read (SKIP LOCKED: builds in progress
      // keep theirs). Only P2WPKH outputs of ours are ever spent.
      const candidates = await this.#spendable(trx, now, Number(tip), 'asc', maxInputs);
      if (candidates.length < 2) {
        throw new WalletError('VALIDATION_FAILED', 'fewer than 2 spendable outputs: nothing to consolidate', {
          details: { reason: 'too_few_utxos', chain, spendable: candidates.length },
        });
      }
      const total = candidates.reduce((s, c) => s + BigInt(c.amount), 0n);
      const vsize = vsizeOf(candidates.length, [], true);
      const networkFee = fee.satPerVbyte * vsize;
      const amount = total - networkFee;
      if (amount < P2WPKH_DUST_LIMIT) {
        throw new WalletError('VALIDATION_FAILED', 'the outputs are worth less than their fee', {
          details: { reason: 'dust', chain, total: total.toString(), fee: networkFee.toString() },
        });
      }
      const psbt = new Psbt({ network: this.d.network });
      psbt.setVersion(2);
      for (const c of candidates) {
        psbt.addInput({
          hash: c.txid,
          index: c.vout,
          sequence: 0xfffffffd,
          witnessUtxo: { script: Buffer.from(c.script, 'hex'), value: BigInt(c.amount) },
        });
      }
      psbt.addOutput({ script: Buffer.from(this.d.target.script, 'hex'), value: amount });
      await lockCoins(trx, chain, candidates, buildId, until);
      await trx('utxo_builds').insert({
        id: buildId,
        chain,
        kind: 'consolidation',
        status: 'built',
        psbt: psbt.toBase64(),
        inputs: candidates.length,
        input_total: total.toString(),
        fee: networkFee.toString(),
        fee_rate: Number(fee.satPerVbyte),
        vsize: Number(vsize),
        change_vout: 0,
        change_amount: amount.toString(),
        locked_until: until,
      });
      return { inputs: candidates.length, amount, fee: networkFee };
    });
    const signed = await withTransaction(db, async (trx) => {
      const row = await trx('utxo_builds').where({ id: buildId }).forUpdate().first<{ psbt: string; status: string }>('psbt', 'status');
      if (row?.status !== 'built') throw new WalletError('CONFLICT', 'the consolidation is no longer built', { details: { buildId } });
      const check = await checkBuild(trx, this.d.checkOptions(buildId, row.psbt));
      if (!check.ok) {
        await trx('utxo_builds')
          .where({ id: buildId })
          .update({ status: 'abandoned', reason: `refused: ${check.problems.join(', ')}`.slice(0, 200) });
        await trx('utxos').where({ locked_by: buildId }).update({ locked_by: null, locked_until: null });
        return { problems: check.problems };
      }
      // The kill switch (global, or the chain's native asset): nothing is signed while it is pulled (the build lapses
      // and its inputs are freed).
      await assertSigningAllowed(trx, [this.d.nativeAsset]);
      const tx = this.d.sign(row.psbt, check.keys);
      await this.d.audit?.(trx, {
        actor: 'signsrv',
        action: 'signed_consolidation',
        subject: buildId,
        details: { chain, txid: tx.txid, inputs: check.keys.length },
      });
      const forever = new Date('9999-12-31T00:00:00.000Z');
      await trx('utxo_builds')
        .where({ id: buildId })
        .update({ status: 'signed', txid: tx.txid, raw: tx.raw, locked_until: forever, updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await trx('utxos').where({ locked_by: buildId }).update({ locked_until: forever });
      return tx;
    });
    if ('problems' in signed) {
      await raiseAlert(db, log, AlertKind.psbtRefused, null, { chain, buildId, kind: 'consolidation', problems: signed.problems });
      throw new WalletError('INTEGRITY_MISMATCH', 'the consolidation did not pass the signing check: not signed', {
        details: { buildId, problems: signed.problems },
      });
    }
    log.info(
      { buildId, txid: signed.txid, inputs: built.inputs, amount: built.amount.toString(), fee: built.fee.toString() },
      'consolidation signed',
    );
    await this.#sendOne({ id: buildId, txid: signed.txid, raw: signed.raw, fee: built.fee.toString(), status: 'signed' }).catch(
      (error: unknown) => log.warn({ err: error, buildId }, 'sending the consolidation failed; the next pass retries'),
    );
    return { buildId, txid: signed.txid, ...built };
  }

  /**
   * Pays the chain's approved cold transfers (treasury moves), each by a build of its own in one MySQL transaction:
   * the wallet's spendable outputs chosen (largest first, locked as read), the PSBT (output 0 the cold address, exactly
   * the amount; change to the main address), checked against MySQL as a withdrawal's ({@link checkBuild}: the one
   * payment, change to the wallet's own address, inputs ours and locked for it, the fee in bounds), signed, stored, and
   * the move `signed` with the build's txid. Sent, followed and booked with the consolidations. A move the wallet cannot
   * cover ends `failed` (`hot_wallet_short`), nothing signed.
   */
  async #coldTransfers(): Promise<void> {
    const { db, chain, log } = this.d;
    const moves = await db('treasury_moves')
      .where({ chain, kind: 'cold_transfer', status: 'approved' })
      .orderBy('id')
      .limit(10)
      .select<{ id: string; asset: string; to_address: string; amount: string }[]>(
        'id',
        'asset',
        'to_address',
        db.raw('CAST(amount AS CHAR) AS amount'),
      );
    for (const move of moves) {
      const fee = await this.d.feeRate();
      const script = this.d.scriptOf(move.to_address);
      const amount = BigInt(move.amount);
      const buildId = newId('bld');
      const outcome = await withTransaction(db, async (trx) => {
        const locked = await trx('treasury_moves').where({ id: move.id }).forUpdate().first<{ status: string }>('status');
        if (locked?.status !== 'approved') return null;
        const [clock] = (await trx.raw(
          `SELECT CURRENT_TIMESTAMP(3) AS now, (SELECT MAX(number) FROM chain_blocks WHERE chain = ?) AS tip`,
          [chain],
        )) as [{ now: Date; tip: string | number | null }[]];
        const { now, tip } = clock[0]!;
        if (tip === null) throw new WalletError('UNAVAILABLE', `chain ${chain} is not scanned yet`, { details: { chain } });
        const candidates = (await this.#spendable(trx, now, Number(tip), 'desc', MAX_CONSOLIDATION_INPUTS)).map((c) => ({
          ...c,
          amount: BigInt(c.amount),
        }));
        const choice = chooseCoins(candidates, [{ script, amount }], { feeRate: fee.satPerVbyte });
        if (choice === null) {
          await trx('treasury_moves')
            .where({ id: move.id })
            .update({
              status: 'failed',
              reason: 'hot_wallet_short',
              finished_at: trx.raw('CURRENT_TIMESTAMP(3)'),
              updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
            });
          await this.d.audit?.(trx, {
            actor: 'signsrv',
            action: 'treasury_move_failed',
            subject: move.id,
            details: { reason: 'hot_wallet_short' },
          });
          return { failed: true as const };
        }
        const psbt = new Psbt({ network: this.d.network });
        psbt.setVersion(2);
        for (const c of choice.inputs) {
          psbt.addInput({
            hash: c.txid,
            index: c.vout,
            sequence: 0xfffffffd,
            witnessUtxo: { script: Buffer.from(c.script, 'hex'), value: c.amount },
          });
        }
        psbt.addOutput({ script: Buffer.from(script, 'hex'), value: amount });
        if (choice.change !== null) psbt.addOutput({ script: Buffer.from(this.d.target.script, 'hex'), value: choice.change });
        const forever = new Date('9999-12-31T00:00:00.000Z');
        await lockCoins(trx, chain, choice.inputs, buildId, forever);
        await trx('utxo_builds').insert({
          id: buildId,
          chain,
          kind: 'cold_transfer',
          status: 'built',
          psbt: psbt.toBase64(),
          inputs: choice.inputs.length,
          input_total: choice.inputs.reduce((s, c) => s + c.amount, 0n).toString(),
          fee: choice.fee.toString(),
          fee_rate: Number(fee.satPerVbyte),
          vsize: Number(choice.vsize),
          change_vout: choice.change === null ? null : 1,
          change_amount: choice.change?.toString() ?? null,
          locked_until: forever,
        });
        const check = await checkBuild(
          trx,
          this.d.checkOptions(buildId, psbt.toBase64(), [{ withdrawalId: move.id, vout: 0, script, amount }]),
        );
        if (!check.ok)
          throw new WalletError('INTEGRITY_MISMATCH', 'the cold transfer did not pass the signing check: not signed', {
            details: { buildId, moveId: move.id, problems: check.problems },
          });
        await assertSigningAllowed(trx, [this.d.nativeAsset]);
        const tx = this.d.sign(psbt.toBase64(), check.keys);
        await trx('utxo_builds')
          .where({ id: buildId })
          .update({ status: 'signed', txid: tx.txid, raw: tx.raw, updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
        await trx('treasury_moves')
          .where({ id: move.id })
          .update({
            status: 'signed',
            txid: tx.txid,
            build_id: buildId,
            fee: choice.fee.toString(),
            updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          });
        await this.d.audit?.(trx, {
          actor: 'signsrv',
          action: 'signed_treasury_move',
          subject: move.id,
          details: {
            kind: 'cold_transfer',
            chain,
            asset: move.asset,
            to: move.to_address,
            amount: move.amount,
            txid: tx.txid,
            buildId,
            inputs: check.keys.length,
          },
        });
        return { tx, fee: choice.fee };
      });
      if (outcome === null) continue;
      if ('failed' in outcome) {
        log.warn({ moveId: move.id, amount: move.amount }, 'cold transfer failed: the wallet cannot cover it');
        continue;
      }
      log.info(
        { moveId: move.id, buildId, txid: outcome.tx.txid, amount: move.amount, fee: outcome.fee.toString() },
        'cold transfer signed',
      );
      await this.#sendOne({ id: buildId, txid: outcome.tx.txid, raw: outcome.tx.raw, fee: outcome.fee.toString(), status: 'signed' }).catch(
        (error: unknown) => log.warn({ err: error, buildId }, 'sending the cold transfer failed; the next pass retries'),
      );
    }
  }

  /**
   * The chain's spendable outputs by amount (`asc`: the smallest first, to merge; `desc`: the largest first, to pay),
   * read in index order and row-locked as read (SKIP LOCKED: builds in progress keep theirs). Only P2WPKH outputs of
   * ours with `minConf` confirmations at the scanner's tip (a customer's deposit: the chain's deposit confirmations),
   * and not locked by a live build.
   */
  #spendable(trx: Knex.Transaction, now: Date, tip: number, order: 'asc' | 'desc', limit: number): Promise<Candidate[]> {
    return (
      trx
        .from(trx.raw('?? FORCE INDEX (??)', ['utxos', 'utxos_selectable']))
        .select<Candidate[]>('txid', 'vout', 'script', 'amount')
        .where({ chain: this.d.chain })
        .whereNull('spent_by_txid')
        // A customer's deposit once final by the chain's deposit confirmations, as for payouts.
        .where((w) => void confirmedEnough(w, tip - this.d.minConf + 1, tip - Math.max(this.d.minConf, this.d.confirmations) + 1))
        .where((w) => void w.whereNull('locked_until').orWhere('locked_until', '<=', now))
        .whereRaw("script LIKE '0014%'")
        .orderBy([
          { column: 'amount', order },
          { column: 'txid', order: 'asc' },
          { column: 'vout', order: 'asc' },
        ])
        .limit(limit)
        .forUpdate()
        .skipLocked()
    );
  }

  async #answerRequest(): Promise<void> {
    const { db, chain, log } = this.d;
    const request = await db('utxo_consolidation_requests')
      .where({ chain, status: 'requested' })
      .orderBy('id')
      .first<{ id: string; max_inputs: number } | undefined>('id', 'max_inputs');
    if (!request) return;
    try {
      const built = await this.consolidate(request.max_inputs);
      await db('utxo_consolidation_requests')
        .where({ id: request.id, status: 'requested' })
        .update({ status: 'built', build_id: built.buildId, updated_at: db.raw('CURRENT_TIMESTAMP(3)') });
    } catch (error) {
      if (!isWalletError(error) || ['UNAVAILABLE', 'TIMEOUT'].includes(error.code)) throw error; // the node or MySQL: retried
      log.warn({ err: error, requestId: request.id }, 'consolidation request refused');
      await db('utxo_consolidation_requests')
        .where({ id: request.id, status: 'requested' })
        .update({ status: 'refused', reason: `${error.code}: ${error.message}`.slice(0, 200), updated_at: db.raw('CURRENT_TIMESTAMP(3)') });
    }
  }

  /** Starts a consolidation on its own when the wallet holds many spendable outputs and fees are low. */
  async #auto(): Promise<void> {
    const auto = this.d.auto;
    if (!auto) return;
    const { db, chain } = this.d;
    const inFlight = await db('utxo_builds')
      .where({ chain, kind: 'consolidation' })
      .whereIn('status', ['built', 'signed', 'broadcast'])
      .first<{ id: string } | undefined>('id');
    if (inFlight) return;
    const [counted] = (await db.raw(
      `SELECT COUNT(*) AS n FROM utxos WHERE chain = ? AND spent_by_txid IS NULL AND (locked_until IS NULL OR locked_until <= CURRENT_TIMESTAMP(3))`,
      [chain],
    )) as [{ n: string | number }[]];
    if (Number(counted[0]?.n ?? 0) < auto.minUtxos) return;
    const fee = await this.d.adapter.feeEstimate();
    if (fee.satPerVbyte > auto.belowFeeRate) return;
    await this.consolidate(auto.maxInputs);
  }

  /** Sends signed consolidations, and re-sends unmined ones at the re-send interval. */
  async #send(): Promise<void> {
    const { db, chain } = this.d;
    const [rows] = (await db.raw(
      `SELECT b.id, b.txid, b.raw, CAST(b.fee AS CHAR) AS fee, b.status FROM utxo_builds b
       WHERE b.chain = ? AND b.kind IN ('consolidation', 'cold_transfer') AND b.status IN ('signed', 'broadcast')
         AND (b.status = 'signed' OR TIMESTAMPDIFF(MICROSECOND, b.last_broadcast_at, CURRENT_TIMESTAMP(3)) DIV 1000 >= ?)
         AND NOT EXISTS (SELECT 1 FROM withdrawal_observations o WHERE o.chain = b.chain AND o.txid = b.txid)
       ORDER BY b.id LIMIT 20`,
      [chain, this.d.rebroadcastAfterMs],
    )) as [ConsolidationRow[]];
    for (const row of rows) await this.#sendOne(row);
  }

  async #sendOne(row: ConsolidationRow): Promise<void> {
    const { db, adapter, log, chain } = this.d;
    if (row.raw === null) return;
    try {
      await adapter.broadcast(row.raw);
    } catch (error) {
      if (isWalletError(error, 'CONFLICT') && error.details['reason'] === 'inputs_spent') {
        // Mined already (the scanner will record it), or its inputs spent by something else: operators must look.
        if ((await adapter.confirmations(row.txid!)) === null) {
          await raiseAlert(db, log, AlertKind.nonceUsedElsewhere, null, { chain, buildId: row.id, txid: row.txid, kind: 'consolidation' });
        }
        return;
      }
      throw error;
    }
    await db('utxo_builds')
      .where({ id: row.id })
      .whereIn('status', ['signed', 'broadcast'])
      .update({
        status: 'broadcast',
        broadcast_at: db.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
        last_broadcast_at: db.raw('CURRENT_TIMESTAMP(3)'),
      });
    await db('treasury_moves')
      .where({ build_id: row.id, status: 'signed' })
      .update({ status: 'broadcast', broadcast_at: db.raw('CURRENT_TIMESTAMP(3)'), updated_at: db.raw('CURRENT_TIMESTAMP(3)') });
    if (row.status === 'signed') log.info({ buildId: row.id, txid: row.txid }, 'consolidation or cold transfer broadcast');
  }

  /**
   * Books consolidations the scanner saw mined with the native asset's confirmations, on the block it holds as
   * canonical: `confirmed`, and the fee from fee income to the chain's network fees, in one transaction.
   */
  async #book(): Promise<void> {
    const { db, chain, log } = this.d;
    const [rows] = (await db.raw(
      `SELECT b.id, b.kind, b.txid, CAST(b.fee AS CHAR) AS fee, o.block_number
       FROM utxo_builds b JOIN withdrawal_observations o ON o.chain = b.chain AND o.txid = b.txid AND o.dropped = 0
       JOIN chain_blocks cb ON cb.chain = o.chain AND cb.number = o.block_number AND cb.hash = o.block_hash
       WHERE b.chain = ? AND b.kind IN ('consolidation', 'cold_transfer') AND b.status IN ('signed', 'broadcast')
         AND (SELECT MAX(number) FROM chain_blocks WHERE chain = ?) - o.block_number + 1 >= ?
       ORDER BY b.id LIMIT 50`,
      [chain, chain, this.d.confirmations],
    )) as [{ id: string; kind: string; txid: string; fee: string; block_number: string }[]];
    for (const row of rows) {
      const booked = await withTransaction(db, async (trx) => {
        const updated = await trx('utxo_builds')
          .where({ id: row.id })
          .whereIn('status', ['signed', 'broadcast'])
          .update({ status: 'confirmed', updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
        if (updated !== 1) return false;
        if (row.kind === 'cold_transfer') {
          // The treasury move it pays is done, with the chain's block and the build's fee.
          await trx('treasury_moves')
            .where({ build_id: row.id })
            .whereIn('status', ['signed', 'broadcast'])
            .update({
              status: 'confirmed',
              fee: row.fee,
              block: Number(row.block_number),
              broadcast_at: trx.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
              finished_at: trx.raw('CURRENT_TIMESTAMP(3)'),
              updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
            });
        }
        // Its fee is booked by transrv, which owns the journal (bookConsolidationFees).
        return true;
      });
      if (booked)
        log.info(
          { buildId: row.id, txid: row.txid, fee: row.fee, block: Number(row.block_number) },
          `${row.kind === 'cold_transfer' ? 'cold transfer' : 'consolidation'} confirmed (transrv books its fee)`,
        );
    }
  }
}
