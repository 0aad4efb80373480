import type { ChainSpec } from '@wallet/assets';
import { type UtxoAdapter, addressToScript, scriptToAddress } from '@wallet/chains';
import type { AuditFn } from '../review/Audit.js';
import { type Knex, withTransaction } from '@wallet/db';
import { WalletError, isWalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import { type Network, type UtxoChain, publicKeyToAddress, utxoNetwork } from '@wallet/keys';
import type { Logger } from '@wallet/logger';
import type { PsbtSigner } from '@wallet/signer';
import { AlertKind, type WithdrawalRow, raiseAlertOnce } from '@wallet/withdrawal-protocol';
import { type CrashPoint, noCrashPoints } from '@wallet/lifecycle';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import type { BroadcastOutcome, Built, Drafted, InFlightTx, PayoutFamily, SignedPayout, StoredTx } from '../PayoutFamily.js';
import { type ExpectedPayment, type InputKey, checkBuild } from './checkBuild.js';
import { P2WPKH_DUST_LIMIT, vsizeOf } from './coinSelection.js';
import { feeShares } from './feeShares.js';
import { type AutoConsolidation, UtxoConsolidations } from './UtxoConsolidations.js';
import { releaseCoins, selectAndLockCoins } from './utxoLocks.js';

/** How approved withdrawals of a chain are paid together. */
export type UtxoBatchPolicy = {
  /**
   * How long the first approved withdrawal waits for others before its transaction is built (ms). 0: each signing
   * round builds what it has at once.
   */
  readonly windowMs: number;
  /** Most withdrawals one transaction pays (1: no batching). */
  readonly maxOutputs: number;
};

/** Options of {@link UtxoPayoutFamily}. */
export type UtxoPayoutFamilyOptions = {
  readonly chain: ChainSpec;
  /** The audit log consolidations' signatures go to (withdrawals' are audited by signApproved). */
  readonly audit?: AuditFn;
  readonly adapter: UtxoAdapter;
  /** The chain's account key (BIP84 `m/84'/coin'/0'`, the deposit xpubs' own). */
  readonly signer: PsbtSigner;
  readonly db: Knex;
  readonly log: Logger;
  /** Most sat/vB signsrv signs at, however the fee was estimated (the signing check's bound). */
  readonly maxFeeRate: bigint;
  /** Confirmations the wallet's own output (change) needs before it is spent. @default 1 */
  readonly minConf?: number;
  /** How long a build that was never signed holds its inputs (ms). @default 600_000 */
  readonly buildLockMs?: number;
  /** @default { windowMs: 0, maxOutputs: 1 } (no batching) */
  readonly batch?: UtxoBatchPolicy;
  /** How much a replacement raises the fee rate, in percent (at least 1 sat/vB more). @default 25 */
  readonly bumpPercent?: number;
  /** Test-only crash points (`signsrv.after_build`). */
  readonly crash?: CrashPoint;
  /**
   * The native asset's deposit confirmations: a consolidation needs them before its fee is booked, and a customer's
   * deposit output before it is spent (by a payout or a consolidation; at least `minConf`). @default 1
   */
  readonly confirmations?: number;
  /** An unmined consolidation is sent again this often (ms). @default 15_000 */
  readonly rebroadcastAfterMs?: number;
  /** When to consolidate without being asked; never by default (only `walletctl utxo consolidate`). */
  readonly autoConsolidation?: AutoConsolidation;
};

/** A withdrawal's draft: the build (PSBT with locked inputs) that pays it, alone or in a batch. */
export type UtxoDraft = { readonly buildId: string };

/** A build checked against MySQL in the signing transaction, ready for the signer. */
export type UtxoUnsigned = {
  readonly buildId: string;
  readonly psbt: string;
  readonly keys: readonly InputKey[];
  readonly members: readonly { readonly withdrawalId: string; readonly vout: number; readonly share: bigint }[];
  readonly feeRate: bigint;
};

/** A fee-bumped copy of a stuck transaction: same inputs and payments, less change. */
export type UtxoReplacement = UtxoUnsigned & { readonly tx: InFlightTx };

type BuildRow = {
  id: string;
  chain: string;
  kind: 'withdrawals' | 'consolidation';
  status: 'built' | 'signed' | 'broadcast' | 'confirmed' | 'abandoned';
  psbt: string;
  inputs: number;
  fee: string;
  fee_rate: number;
  vsize: number;
  change_vout: number | null;
  locked_until: Date;
};
type MemberRow = { build_id: string; withdrawal_id: string; vout: number; network_fee: string };

/** Locks of a signed build's inputs never lapse: the transaction may be mined whenever. */
const SIGNED_LOCK_UNTIL = new Date('9999-12-31T00:00:00.000Z');
/** BIP125: every input signals replaceability. */
const RBF_SEQUENCE = 0xfffffffd;

/**
 * Payouts on a UTXO chain (Bitcoin, Litecoin): a transaction spends outputs of the wallet's UTXO set (`utxos`, the
 * scanner's) and pays one approved withdrawal, or several (a batch: one output each, each withdrawal with its own
 * `vout` and share of the fee), with change to a fresh address of the wallet's (`wallet_addresses`, branch `/1/i` of
 * the deposit account, watched by the scanner).
 *
 * Building and signing are separate steps, as a builder and a signer would be. `build` (outside the signing lock)
 * chooses coins with coinselect and locks them for the build (`utxos.locked_by`) in the same MySQL transaction that
 * stores the build (`utxo_builds`: the PSBT, its members). `reserve` (inside the signing transaction) then checks the
 * PSBT against MySQL alone ({@link checkBuild}: outputs exactly the approved payments plus change to our own address,
 * inputs ours and locked for this build, the fee within bounds) before the key signs it; a build that fails is refused
 * with a `psbt_refused` alarm and its inputs are released. A build never signed lapses after `buildLockMs`; a signed
 * one keeps its inputs until the chain spends them. A stuck transaction is replaced (BIP125) spending the same inputs
 * for the same payments with less change.
 */
export class UtxoPayoutFamily implements PayoutFamily<UtxoDraft, UtxoUnsigned, UtxoReplacement> {
  readonly chain: string;
  /** The consolidation target (`/1/0`), recorded as the chain's hot wallet: the key's own address. */
  readonly address: string;
  readonly #o: UtxoPayoutFamilyOptions;
  readonly #family: UtxoChain;
  readonly #network: Network;
  readonly #net: ReturnType<typeof utxoNetwork>;
  readonly #batch: UtxoBatchPolicy;
  readonly #crash: CrashPoint;

  constructor(options: UtxoPayoutFamilyOptions) {
    const { chain } = options;
    if (chain.kind !== 'utxo' || chain.family === 'eth') {
      throw new WalletError('CONFIG_INVALID', `chain ${chain.id} is not a UTXO chain`, { details: { chain: chain.id } });
    }
    this.#o = options;
    this.chain = chain.id;
    this.#family = chain.family;
    this.#network = chain.network;
    this.#net = utxoNetwork(this.#family, this.#network);
    this.#batch = options.batch ?? { windowMs: 0, maxOutputs: 1 };
    if (!Number.isInteger(this.#batch.maxOutputs) || this.#batch.maxOutputs < 1 || this.#batch.windowMs < 0) {
      throw new WalletError('CONFIG_INVALID', `chain ${chain.id}: batch maxOutputs must be >= 1 and windowMs >= 0`, {
        details: { chain: chain.id },
      });
    }
    this.#crash = options.crash ?? noCrashPoints;
    this.address = publicKeyToAddress(this.#family, this.#network, options.signer.publicKey(1, 0));
    this.consolidations = new UtxoConsolidations({
      chain: chain.id,
      db: options.db,
      log: options.log,
      adapter: options.adapter,
      network: this.#net,
      target: { address: this.address, script: this.#scriptOf(this.address) },
      nativeAsset: chain.nativeAsset,
      confirmations: options.confirmations ?? 1,
      minConf: options.minConf ?? 1,
      feeRate: () => this.feeRate(),
      checkOptions: (buildId, psbt, payments = []) => this.#checkOptions(buildId, psbt, payments),
      scriptOf: (address) => this.#scriptOf(address),
      sign: (psbt, keys) => this.#o.signer.sign({ psbt, inputs: keys }),
      rebroadcastAfterMs: options.rebroadcastAfterMs ?? 15_000,
      ...(options.audit === undefined ? {} : { audit: options.audit }),
      ...(options.autoConsolidation === undefined ? {} : { auto: options.autoConsolidation }),
    });
  }

  /** The chain's consolidation job (merging small outputs into the main address), run on every sender pass. */
  readonly consolidations: UtxoConsolidations;

  isActiveSender(from: string): boolean {
    return from === this.address;
  }

  /**
   * Records the consolidation target (`/1/0`) as the wallet's, and refuses a node that cannot look mined transactions
   * up (no `-txindex`) or a keystore whose key is not the one the wallet's addresses were derived from.
   */
  async init(): Promise<void> {
    const { db, log, adapter } = this.#o;
    if (!(await adapter.hasTxIndex())) {
      throw new WalletError('CONFIG_INVALID', `chain ${this.chain}: the node must run with -txindex=1 to pay out`, {
        details: { chain: this.chain, reason: 'no_txindex' },
      });
    }
    await db.raw(
      `INSERT INTO wallet_addresses (chain, address, branch, derivation_index, role) VALUES (?, ?, 1, 0, 'consolidation')
       ON DUPLICATE KEY UPDATE id = id`,
      [this.chain, this.address],
    );
    const stored = await db('wallet_addresses')
      .where({ chain: this.chain, branch: 1, derivation_index: 0 })
      .first<{ address: string } | undefined>('address');
    if (stored?.address !== this.address) {
      throw new WalletError('CONFIG_INVALID', `chain ${this.chain}: the wallet's addresses were derived from another key`, {
        details: { chain: this.chain, reason: 'key_changed', stored: stored?.address ?? null, derived: this.address },
      });
    }
    log.info({ consolidationAddress: this.address, batch: this.#batch }, 'UTXO payouts ready');
  }

  /**
   * Releases the inputs of builds that were never signed and lapsed, or whose withdrawals are no longer all approved
   * (rejected, voided): their transactions never existed.
   */
  async reconcile(): Promise<readonly (InFlightTx & { readonly since_sent_ms: string | number })[]> {
    const { db, log } = this.#o;
    try {
      const stale = await db('utxo_builds as b')
        .where({ 'b.chain': this.chain, 'b.status': 'built' })
        .andWhere((w) => {
          void w
            .where('b.locked_until', '<=', db.raw('CURRENT_TIMESTAMP(3)'))
            .orWhereExists(
              db('utxo_build_members as m')
                .join('withdrawals as w', 'w.id', 'm.withdrawal_id')
                .whereRaw('m.build_id = b.id')
                .whereNot('w.status', 'approved')
                .select(db.raw('1')),
            )
            // Voided by an auditor (or no longer approved by signsrv): transrv waits for this build to go before it
            // applies the void, so waiting for transrv's row would hold both until the build lapses.
            .orWhereExists(
              db('utxo_build_members as m')
                .join('sign_requests as r', 'r.withdrawal_id', 'm.withdrawal_id')
                .whereRaw('m.build_id = b.id')
                .where((d) => void d.whereNull('r.decision').orWhereNot('r.decision', 'approved'))
                .select(db.raw('1')),
            );
        })
        .limit(100)
        .pluck<string[]>('b.id');
      for (const id of stale) {
        const released = await withTransaction(db, (trx) => this.#abandon(trx, id, 'lapsed or no longer approved'));
        if (released !== null) log.info({ buildId: id, released }, 'unsigned build abandoned: its inputs are free again');
      }
    } catch (error) {
      log.warn({ err: error }, 'releasing stale builds failed; retrying');
    }
    await this.consolidations.pass();
    return [];
  }

  async destinationIsContract(): Promise<boolean> {
    return false; // no contract accounts on UTXO chains
  }

  /**
   * Builds one transaction per group of at most `batch.maxOutputs` withdrawals (each in its own short MySQL
   * transaction: coins chosen and locked, change address allocated, build stored). A withdrawal whose unsigned build
   * is still live keeps it. While batching, withdrawals wait (deferred) until the oldest approval among them is
   * `batch.windowMs` old or `maxOutputs` of them are waiting.
   */
  async build(rows: readonly WithdrawalRow[]): Promise<Built<UtxoDraft>> {
    const drafts = new Map<string, UtxoDraft>();
    const errors = new Map<string, unknown>();
    const deferred = new Set<string>();
    if (rows.length === 0) return { drafts, errors };
    const { db } = this.#o;

    // Live unsigned builds are reused when every member is here; others are given up (rebuilt below).
    const existing: { build_id: string; withdrawal_id: string; live: number | string }[] = await db('utxo_build_members as m')
      .join('utxo_builds as b', 'b.id', 'm.build_id')
      .whereIn(
        'm.withdrawal_id',
        rows.map((r) => r.id),
      )
      .where('b.status', 'built')
      .select('m.build_id', 'm.withdrawal_id', db.raw('b.locked_until > CURRENT_TIMESTAMP(3) AS live'));
    const wanted = new Set(rows.map((r) => r.id));
    for (const buildId of new Set(existing.map((e) => e.build_id))) {
      const members = await db('utxo_build_members').where({ build_id: buildId }).pluck<string[]>('withdrawal_id');
      const live = existing.some((e) => e.build_id === buildId && Number(e.live) === 1);
      if (live && members.every((id) => wanted.has(id))) {
        for (const id of members) drafts.set(id, { buildId });
      } else {
        await withTransaction(db, (trx) => this.#abandon(trx, buildId, 'rebuilt'));
      }
    }
    const fresh = rows.filter((r) => !drafts.has(r.id));
    if (fresh.length === 0) return { drafts, errors };

    if (this.#batch.maxOutputs > 1 && this.#batch.windowMs > 0 && fresh.length < this.#batch.maxOutputs) {
      const [ages] = (await db.raw(
        `SELECT MAX(TIMESTAMPDIFF(MICROSECOND, decided_at, CURRENT_TIMESTAMP(3)) DIV 1000) AS oldest
         FROM sign_requests WHERE withdrawal_id IN (${fresh.map(() => '?').join(', ')})`,
        fresh.map((r) => r.id),
      )) as [{ oldest: string | number | null }[]];
      if (Number(ages[0]?.oldest ?? 0) < this.#batch.windowMs) {
        for (const r of fresh) deferred.add(r.id);
        return { drafts, errors, deferred };
      }
    }

    let fee;
    try {
      fee = await this.feeRate();
    } catch (error) {
      for (const r of fresh) errors.set(r.id, error);
      return { drafts, errors };
    }
    for (let i = 0; i < fresh.length; i += this.#batch.maxOutputs) {
      const group = fresh.slice(i, i + this.#batch.maxOutputs);
      try {
        const buildId = await this.#buildOne(group, fee.satPerVbyte, fee.floorSatPerVbyte);
        for (const r of group) drafts.set(r.id, { buildId });
      } catch (error) {
        for (const r of group) errors.set(r.id, error);
      }
    }
    if (drafts.size > 0) this.#crash('signsrv.after_build');
    return { drafts, errors, ...(deferred.size > 0 ? { deferred } : {}) };
  }

  /**
   * In the signing transaction: each build is locked and checked against MySQL ({@link checkBuild}); a build that is
   * no longer live, no longer pays exactly the withdrawals being signed, or fails the check is abandoned (its inputs
   * released; a failed check raises `psbt_refused`), and its withdrawals are built again on a later pass. A build that
   * passes is marked signed and its inputs locked until the chain spends them, committed with the signatures.
   */
  async reserve(trx: Knex.Transaction, drafted: readonly Drafted<UtxoDraft>[]): Promise<readonly UtxoUnsigned[]> {
    const byBuild = new Map<string, Drafted<UtxoDraft>[]>();
    for (const d of drafted) byBuild.set(d.draft.buildId, [...(byBuild.get(d.draft.buildId) ?? []), d]);
    const unsigned: UtxoUnsigned[] = [];
    for (const [buildId, group] of [...byBuild.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [found] = (await trx.raw(
        'SELECT b.*, b.locked_until > CURRENT_TIMESTAMP(3) AS live FROM utxo_builds b WHERE b.id = ? FOR UPDATE',
        [buildId],
      )) as [(BuildRow & { live: number })[]];
      const build = found[0];
      const members = await trx<MemberRow>('utxo_build_members').where({ build_id: buildId }).orderBy('vout');
      const rows = new Map(group.map((d) => [d.row.id, d.row]));
      if (
        !build ||
        build.status !== 'built' ||
        Number(build.live) !== 1 ||
        members.length !== rows.size ||
        members.some((m) => !rows.has(m.withdrawal_id))
      ) {
        if (build?.status === 'built') await this.#abandon(trx, buildId, 'lapsed or its withdrawals changed');
        continue;
      }
      const payments: ExpectedPayment[] = members.map((m) => {
        const row = rows.get(m.withdrawal_id)!;
        return { withdrawalId: row.id, vout: m.vout, script: this.#scriptOf(row.to_address), amount: BigInt(row.amount) };
      });
      const check = await checkBuild(trx, this.#checkOptions(buildId, build.psbt, payments));
      const problems = check.ok ? [] : [...check.problems];
      if (check.ok) {
        const shares = members.reduce((s, m) => s + BigInt(m.network_fee), 0n);
        if (check.fee !== BigInt(build.fee) || shares !== check.fee) problems.push('fee_shares');
      }
      if (problems.length > 0) {
        await this.#abandon(trx, buildId, `refused: ${problems.join(', ')}`);
        await this.#refused(buildId, members, problems);
        continue;
      }
      await trx('utxo_builds')
        .where({ id: buildId })
        .update({ status: 'signed', locked_until: SIGNED_LOCK_UNTIL, updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await trx('utxos').where({ locked_by: buildId }).update({ locked_until: SIGNED_LOCK_UNTIL });
      unsigned.push({
        buildId,
        psbt: build.psbt,
        keys: check.ok ? check.keys : [],
        members: members.map((m) => ({ withdrawalId: m.withdrawal_id, vout: m.vout, share: BigInt(m.network_fee) })),
        feeRate: BigInt(build.fee_rate),
      });
    }
    return unsigned;
  }

  async sign(u: UtxoUnsigned): Promise<SignedPayout> {
    const signed = this.#o.signer.sign({ psbt: u.psbt, inputs: u.keys });
    return {
      members: u.members.map((m) => ({ withdrawalId: m.withdrawalId, columns: { vout: String(m.vout), network_fee: m.share.toString() } })),
      txid: signed.txid,
      raw: signed.raw,
      from: this.address,
      nonce: null,
      columns: { fee_rate: u.feeRate.toString(), build_id: u.buildId },
    };
  }

  async hasReservation(trx: Knex.Transaction, withdrawalId: string): Promise<boolean> {
    const signed = await trx('withdrawal_txs')
      .where({ withdrawal_id: withdrawalId })
      .forUpdate()
      .first<{ txid: string } | undefined>('txid');
    return signed !== undefined;
  }

  async dropUnsigned(trx: Knex.Transaction, withdrawalId: string): Promise<void> {
    const builds = await trx('utxo_build_members as m')
      .join('utxo_builds as b', 'b.id', 'm.build_id')
      .where({ 'm.withdrawal_id': withdrawalId, 'b.status': 'built' })
      .orderBy('b.id')
      .forUpdate()
      .pluck<string[]>('b.id');
    for (const buildId of builds) {
      const released = await this.#abandon(trx, buildId, 'a withdrawal it pays was voided');
      if (released !== null) this.#o.log.info({ buildId, withdrawalId, released }, 'unsigned build of a voided withdrawal abandoned');
    }
  }

  verifySigned(tx: StoredTx, row: WithdrawalRow): string[] {
    const problems: string[] = [];
    let parsed: Transaction;
    try {
      parsed = Transaction.fromHex(tx.raw);
    } catch {
      return ['signed_transaction'];
    }
    if (parsed.getId() !== tx.txid) problems.push('signed_transaction');
    const vout = tx['vout'] === null || tx['vout'] === undefined ? -1 : Number(tx['vout']);
    const out = parsed.outs[vout];
    let script: string | null;
    try {
      script = this.#scriptOf(row.to_address);
    } catch {
      script = null;
    }
    if (!out || Buffer.from(out.script).toString('hex') !== script || out.value !== BigInt(row.amount)) problems.push('call');
    return problems;
  }

  mayReplace(): boolean {
    // Every transaction spends only confirmed outputs: none waits for another of ours, each can be bumped alone.
    return true;
  }

  /**
   * The same inputs and payments at a higher fee rate (the stuck one's plus `bumpPercent`, at least 1 sat/vB more, at
   * least the market's, at most `maxFeeRate`), the difference taken from the change. BIP125's rule that the
   * replacement pays for its own relay holds (at least 1 sat/vB more over the same size).
   * @returns null when there is no room: no change output, change would fall below dust, or the cap leaves nothing
   */
  async planReplacement(tx: InFlightTx): Promise<UtxoReplacement | null> {
    const { db, log, maxFeeRate } = this.#o;
    const buildId = typeof tx['build_id'] === 'string' ? tx['build_id'] : '';
    const build = await db<BuildRow>('utxo_builds').where({ id: buildId }).first();
    if (!build || build.change_vout === null) {
      log.warn({ withdrawalId: tx.withdrawal_id, txid: tx.txid }, 'stuck, but it has no change to pay a higher fee from: re-sending it');
      return null;
    }
    const original = Transaction.fromHex(tx.raw);
    const unsigned = Psbt.fromBase64(build.psbt, { network: this.#net });
    const inTotal = unsigned.data.inputs.reduce((s, i) => s + (i.witnessUtxo?.value ?? 0n), 0n);
    const outTotal = original.outs.reduce((s, o) => s + o.value, 0n);
    const oldFee = inTotal - outTotal;
    const oldRate = BigInt(String(tx['fee_rate']));
    const market = await this.#o.adapter.feeEstimate().catch(() => null);
    let rate = (oldRate * BigInt(100 + (this.#o.bumpPercent ?? 25)) + 99n) / 100n;
    if (rate < oldRate + 1n) rate = oldRate + 1n;
    if (market && market.satPerVbyte > rate) rate = market.satPerVbyte;
    if (rate > maxFeeRate) rate = maxFeeRate;
    const paymentOuts = original.outs
      .map((o, vout) => ({ script: Buffer.from(o.script).toString('hex'), amount: o.value, vout }))
      .filter((o) => o.vout !== build.change_vout);
    const vsize = vsizeOf(original.ins.length, paymentOuts, true);
    const newFee = rate * vsize;
    const change = original.outs[build.change_vout]!.value - (newFee - oldFee);
    if (rate <= oldRate || newFee <= oldFee || change < P2WPKH_DUST_LIMIT) {
      log.warn(
        { withdrawalId: tx.withdrawal_id, txid: tx.txid, feeRate: String(oldRate), cap: String(maxFeeRate) },
        'stuck, but the fee cap or the change leaves no room for a bump: re-sending it as it is',
      );
      return null;
    }
    const psbt = new Psbt({ network: this.#net });
    psbt.setVersion(original.version);
    psbt.setLocktime(original.locktime);
    for (const [i, input] of original.ins.entries()) {
      psbt.addInput({ hash: input.hash, index: input.index, sequence: input.sequence, witnessUtxo: unsigned.data.inputs[i]!.witnessUtxo! });
    }
    for (const [vout, o] of original.outs.entries()) {
      psbt.addOutput({ script: o.script, value: vout === build.change_vout ? change : o.value });
    }
    const members = await db('withdrawal_txs')
      .where({ chain: tx.chain, txid: tx.txid })
      .orderBy('vout')
      .select<{ withdrawal_id: string; vout: number }[]>('withdrawal_id', 'vout');
    const shares = feeShares(
      newFee,
      members.map((m) => Buffer.from(original.outs[m.vout]!.script).toString('hex')),
    );
    const payments = members.map((m) => ({
      withdrawalId: m.withdrawal_id,
      vout: m.vout,
      script: Buffer.from(original.outs[m.vout]!.script).toString('hex'),
      amount: original.outs[m.vout]!.value,
    }));
    // The replacement must pass the same check as any build (its payments are those of the original, which
    // replaceStuck re-checks against the withdrawal rows before it signs).
    const check = await checkBuild(db, this.#checkOptions(buildId, psbt.toBase64(), payments));
    if (!check.ok) {
      await this.#refused(
        buildId,
        members.map((m) => ({ withdrawal_id: m.withdrawal_id })),
        [...check.problems],
      );
      return null;
    }
    return {
      tx,
      buildId,
      psbt: psbt.toBase64(),
      keys: check.keys,
      members: members.map((m, i) => ({ withdrawalId: m.withdrawal_id, vout: m.vout, share: shares[i]! })),
      feeRate: rate,
    };
  }

  async signReplacement(plan: UtxoReplacement): Promise<SignedPayout> {
    return this.sign(plan);
  }

  async broadcast(tx: StoredTx): Promise<BroadcastOutcome> {
    try {
      await this.#o.adapter.broadcast(tx.raw);
      return 'sent';
    } catch (error) {
      if (isWalletError(error, 'CONFLICT') && error.details['reason'] === 'inputs_spent') return 'inputs_used';
      throw error;
    }
  }

  async isMined(txid: string): Promise<boolean> {
    return ((await this.#o.adapter.confirmations(txid)) ?? 0) >= 1;
  }

  /**
   * The rate a build pays: the node's estimate, at most this family's `maxFeeRate` (the bound its own signing check
   * holds every build to). The adapter caps estimates at its configured maximum too, and signsrv gives both the same
   * value; a family whose maximum is the lower one would otherwise build what its check refuses (as a tampered PSBT,
   * with a psbt_refused alarm), over and over while the market stays above it. At the cap the transaction pays less
   * than the market and confirms later, like a fee bump at the cap.
   * @throws WalletError UNAVAILABLE (with `details.cap`) when even the node's relay floor is above the maximum
   */
  async feeRate(): Promise<{ readonly satPerVbyte: bigint; readonly floorSatPerVbyte: bigint }> {
    const { maxFeeRate, log } = this.#o;
    const fee = await this.#o.adapter.feeEstimate();
    if (fee.floorSatPerVbyte > maxFeeRate) {
      throw new WalletError('UNAVAILABLE', `the node relays nothing under ${fee.floorSatPerVbyte} sat/vB, above the cap`, {
        details: { chain: this.chain, floor: fee.floorSatPerVbyte.toString(), cap: maxFeeRate.toString() },
      });
    }
    if (fee.satPerVbyte <= maxFeeRate) return fee;
    log.warn({ market: String(fee.satPerVbyte), cap: String(maxFeeRate) }, 'fee estimate above the cap: paying the cap');
    return { satPerVbyte: maxFeeRate, floorSatPerVbyte: fee.floorSatPerVbyte };
  }

  async close(): Promise<void> {
    this.#o.signer.wipe();
    await this.#o.adapter.close();
  }

  /** Chooses and locks coins for `rows`, allocates change, and stores the build, in one short MySQL transaction. */
  async #buildOne(rows: readonly WithdrawalRow[], feeRate: bigint, floor: bigint): Promise<string> {
    const { db, log } = this.#o;
    const outputs = rows.map((r) => ({ script: this.#scriptOf(r.to_address), amount: BigInt(r.amount) }));
    const buildId = newId('bld');
    const built = await withTransaction(db, async (trx) => {
      const [clock] = (await trx.raw(
        `SELECT CURRENT_TIMESTAMP(3) AS now, CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND AS until,
           (SELECT MAX(number) FROM chain_blocks WHERE chain = ?) AS tip`,
        [(this.#o.buildLockMs ?? 600_000) * 1000, this.chain],
      )) as [{ now: Date; until: Date; tip: string | number | null }[]];
      const { now, until, tip } = clock[0]!;
      if (tip === null) {
        throw new WalletError('UNAVAILABLE', `chain ${this.chain} is not scanned yet: no spendable outputs known`, {
          details: { chain: this.chain },
        });
      }
      const choice = await selectAndLockCoins(trx, {
        chain: this.chain,
        outputs,
        tip: BigInt(tip),
        minConf: this.#o.minConf ?? 1,
        // A customer's deposit is spent once final by the chain's deposit confirmations (selectAndLockCoins).
        depositMinConf: this.#o.confirmations ?? 1,
        lockedBy: buildId,
        lockedUntil: until,
        now,
        feeRate,
        minRelayFeeRate: floor,
      });
      const psbt = new Psbt({ network: this.#net });
      psbt.setVersion(2);
      for (const c of choice.inputs) {
        psbt.addInput({
          hash: c.txid,
          index: c.vout,
          sequence: RBF_SEQUENCE,
          witnessUtxo: { script: Buffer.from(c.script, 'hex'), value: c.amount },
        });
      }
      for (const o of outputs) psbt.addOutput({ script: Buffer.from(o.script, 'hex'), value: o.amount });
      let changeVout: number | null = null;
      if (choice.change !== null) {
        const changeAddress = await this.#allocateChange(trx);
        changeVout = outputs.length;
        psbt.addOutput({ script: addressToScript(this.#family, this.#network, changeAddress), value: choice.change });
      }
      const shares = feeShares(
        choice.fee,
        outputs.map((o) => o.script),
      );
      await trx('utxo_builds').insert({
        id: buildId,
        chain: this.chain,
        kind: 'withdrawals',
        status: 'built',
        psbt: psbt.toBase64(),
        inputs: choice.inputs.length,
        input_total: choice.inputs.reduce((s, c) => s + c.amount, 0n).toString(),
        fee: choice.fee.toString(),
        fee_rate: Number(feeRate),
        vsize: Number(choice.vsize),
        change_vout: changeVout,
        change_amount: choice.change === null ? null : choice.change.toString(),
        locked_until: until,
      });
      await trx('utxo_build_members').insert(
        rows.map((r, vout) => ({ build_id: buildId, withdrawal_id: r.id, vout, network_fee: shares[vout]!.toString() })),
      );
      return { inputs: choice.inputs.length, fee: choice.fee, change: choice.change };
    });
    log.info(
      {
        buildId,
        withdrawalIds: rows.map((r) => r.id),
        inputs: built.inputs,
        fee: built.fee.toString(),
        feeRate: feeRate.toString(),
        change: built.change?.toString() ?? null,
      },
      'payout built: inputs locked',
    );
    return buildId;
  }

  /** The next change address (`/1/i`, i >= 1), recorded so the scanner watches it and signsrv knows its key. */
  async #allocateChange(trx: Knex.Transaction): Promise<string> {
    const [rows] = (await trx.raw('SELECT MAX(derivation_index) AS last FROM wallet_addresses WHERE chain = ? AND branch = 1 FOR UPDATE', [
      this.chain,
    ])) as [{ last: string | number | null }[]];
    const index = Math.max(1, Number(rows[0]?.last ?? 0) + 1);
    const address = publicKeyToAddress(this.#family, this.#network, this.#o.signer.publicKey(1, index));
    await trx('wallet_addresses').insert({ chain: this.chain, address, branch: 1, derivation_index: index, role: 'change' });
    return address;
  }

  /** Gives up an unsigned build: its inputs are free again. @returns how many were released, null if not unsigned */
  async #abandon(trx: Knex.Transaction, buildId: string, reason: string): Promise<number | null> {
    const updated = await trx('utxo_builds')
      .where({ id: buildId, status: 'built' })
      .update({ status: 'abandoned', reason: reason.slice(0, 200), updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    if (updated === 0) return null;
    return releaseCoins(trx, buildId);
  }

  async #refused(buildId: string, members: readonly { withdrawal_id: string }[], problems: readonly string[]): Promise<void> {
    const { db, log } = this.#o;
    log.error({ buildId, problems }, 'ALARM: a built transaction does not match MySQL: not signed');
    for (const m of members) {
      await raiseAlertOnce(db, log, AlertKind.psbtRefused, m.withdrawal_id, { chain: this.chain, buildId, problems });
    }
  }

  #checkOptions(buildId: string, psbt: string, payments: readonly ExpectedPayment[]) {
    return {
      chain: this.chain,
      network: this.#net,
      buildId,
      psbt,
      payments,
      minFeeRate: 1n,
      maxFeeRate: this.#o.maxFeeRate,
      addressOf: (script: string) => scriptToAddress(this.#family, this.#network, Buffer.from(script, 'hex')),
    };
  }

  /** A destination's scriptPubKey, hex. @throws WalletError INVALID_ADDRESS */
  #scriptOf(address: string): string {
    return addressToScript(this.#family, this.#network, address).toString('hex');
  }
}
