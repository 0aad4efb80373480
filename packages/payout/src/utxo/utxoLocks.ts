import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type CoinChoice, type CoinChoiceOptions, type PaymentOutput, checkPayment, chooseCoins } from './coinSelection.js';

/** An output of our UTXO set chosen and locked for a build. */
export type LockedUtxo = {
  readonly chain: string;
  readonly txid: string;
  readonly vout: number;
  /** scriptPubKey, hex */
  readonly script: string;
  readonly amount: bigint;
  readonly accountId: string;
  readonly blockNumber: bigint;
};

/** Options of {@link selectAndLockCoins}. */
export type SelectCoinsOptions = CoinChoiceOptions & {
  readonly chain: string;
  readonly outputs: readonly PaymentOutput[];
  /** Height of the chain's tip as the scanner last saw it. */
  readonly tip: bigint;
  /** Confirmations an output needs to be spent (1: mined in the tip). */
  readonly minConf: number;
  /**
   * Confirmations a customer's deposit output needs to be spent (at least `minConf`): the chain's deposit
   * confirmations. A deposit is the sender's transaction, which a reorg can drop and the sender replace (a
   * double-spend): a payout that spent its output before it was final would spend an output that no longer exists,
   * and could never be mined. The wallet's own outputs (`sys:` accounts: change, merged outputs) are the wallet's
   * transactions, which nobody else can replace. @default minConf
   */
  readonly depositMinConf?: number;
  /** Who holds the lock (the build's id), at most 64 characters. */
  readonly lockedBy: string;
  /** When the lock lapses if the build's transaction never reaches the chain. */
  readonly lockedUntil: Date;
  /** Now, as locks are compared with it (expired locks are free). */
  readonly now: Date;
  /** Outputs read and row-locked per round while the ones read do not cover the payment. @default 16 */
  readonly pageSize?: number;
  /** Most outputs read before giving up (the transaction's inputs are fewer). @default 256 */
  readonly maxCandidates?: number;
};

type UtxoRow = {
  chain: string;
  txid: string;
  vout: number;
  script: string;
  amount: string;
  account_id: string;
  block_number: string;
};

/**
 * Selects coins for `outputs` inside the caller's transaction (the one that records the build) and locks them:
 * among the chain's outputs with `minConf` confirmations, unspent and not locked (or locked until before `now`),
 * read largest first, page by page, with `FOR UPDATE SKIP LOCKED`, so a concurrent builder skips the rows this one
 * holds instead of waiting for them or choosing them too; coinselect chooses among the rows read, and the chosen
 * ones get `locked_by`/`locked_until`, committed with the build. Rows read but not chosen stay row-locked until the
 * caller's transaction ends (keep it short); a rollback drops the locks with the build.
 * @returns the inputs, change (null: none) and fee
 * @throws WalletError INSUFFICIENT_FUNDS (details.reason `insufficient_utxos`, or `too_many_inputs` when
 *   `maxCandidates` outputs do not cover the payment), VALIDATION_FAILED, AMOUNT_TOO_SMALL (see chooseCoins)
 */
export async function selectAndLockCoins(trx: Knex.Transaction, options: SelectCoinsOptions): Promise<CoinChoice<LockedUtxo>> {
  const { chain, outputs, tip, minConf, lockedBy, lockedUntil, now, pageSize = 16, maxCandidates = 256 } = options;
  checkPayment(outputs, options);
  if (!Number.isInteger(minConf) || minConf < 1) {
    throw new WalletError('VALIDATION_FAILED', 'minConf must be a whole number >= 1', { details: { reason: 'bad_min_conf' } });
  }
  if (lockedBy.length === 0 || lockedBy.length > 64) {
    throw new WalletError('VALIDATION_FAILED', 'lockedBy must have 1 to 64 characters', { details: { reason: 'bad_locked_by' } });
  }
  const depositMinConf = Math.max(minConf, options.depositMinConf ?? minConf);
  if (!Number.isInteger(depositMinConf)) {
    throw new WalletError('VALIDATION_FAILED', 'depositMinConf must be a whole number', { details: { reason: 'bad_min_conf' } });
  }
  const maxHeight = tip - BigInt(minConf) + 1n;
  const depositMaxHeight = tip - BigInt(depositMinConf) + 1n;
  const candidates: LockedUtxo[] = [];
  let after: UtxoRow | undefined;
  for (;;) {
    const page = await readPage(trx, chain, maxHeight, depositMaxHeight, now, after, Math.min(pageSize, maxCandidates - candidates.length));
    candidates.push(...page.map(toLocked));
    after = page.at(-1);
    const exhausted = page.length === 0 || candidates.length >= maxCandidates;
    // try coinselect only once something new came in (or never: a chain without outputs)
    const choice = page.length === 0 ? null : chooseCoins(candidates, outputs, options);
    if (choice) {
      await lockCoins(trx, chain, choice.inputs, lockedBy, lockedUntil);
      return choice;
    }
    if (exhausted) {
      const available = candidates.reduce((s, c) => s + c.amount, 0n);
      const needed = outputs.reduce((s, o) => s + o.amount, 0n);
      throw new WalletError('INSUFFICIENT_FUNDS', 'spendable outputs do not cover the payment and its fee', {
        details: {
          reason: candidates.length >= maxCandidates ? 'too_many_inputs' : 'insufficient_utxos',
          chain,
          available: String(available),
          needed: String(needed),
        },
      });
    }
  }
}

/**
 * Outputs deep enough to spend: the wallet's own (`sys:` accounts: change, merged outputs) mined at `maxHeight` or
 * below, a customer's deposit at `depositMaxHeight` or below (see {@link SelectCoinsOptions.depositMinConf}). Shared
 * by the payouts' coin selection and the consolidations.
 */
export function confirmedEnough(q: Knex.QueryBuilder, maxHeight: bigint | number, depositMaxHeight: bigint | number): void {
  void q
    .where('block_number', '<=', maxHeight.toString())
    .where((w) => void w.where('account_id', 'like', 'sys:%').orWhere('block_number', '<=', depositMaxHeight.toString()));
}

// SELECT ... FROM utxos FORCE INDEX (utxos_selectable)
//   WHERE chain = ? AND spent_by_txid IS NULL AND block_number <= ? AND (locked_until IS NULL OR locked_until <= now)
//   AND (account_id LIKE 'sys:%' OR block_number <= ?)
//   AND (amount, txid, vout) < the last row read
//   ORDER BY amount DESC, txid DESC, vout DESC LIMIT n FOR UPDATE SKIP LOCKED
// The index is read backwards in order, so only the rows read are locked (a sort would lock every candidate); rows
// read but failing the other conditions (too young, lock not lapsed) stay locked too, harmlessly: no builder may take
// them. The read also takes next-key locks on the index: the scanner's new outputs wait for the builder's commit.
async function readPage(
  trx: Knex.Transaction,
  chain: string,
  maxHeight: bigint,
  depositMaxHeight: bigint,
  now: Date,
  after: UtxoRow | undefined,
  limit: number,
): Promise<UtxoRow[]> {
  if (limit <= 0 || maxHeight < 0n) return [];
  const q = trx
    .from(trx.raw('?? FORCE INDEX (??)', ['utxos', 'utxos_selectable']))
    .select<UtxoRow[]>('chain', 'txid', 'vout', 'script', 'amount', 'account_id', 'block_number')
    .where({ chain })
    .whereNull('spent_by_txid')
    .where((w) => void confirmedEnough(w, maxHeight, depositMaxHeight))
    .where((w) => void w.whereNull('locked_until').orWhere('locked_until', '<=', now))
    .orderBy([
      { column: 'amount', order: 'desc' },
      { column: 'txid', order: 'desc' },
      { column: 'vout', order: 'desc' },
    ])
    .limit(limit)
    .forUpdate()
    .skipLocked();
  // the amount as a DECIMAL: a string compared with a DECIMAL column would be compared as a double
  if (after) q.whereRaw('(amount, txid, vout) < (CAST(? AS DECIMAL(65,0)), ?, ?)', [after.amount, after.txid, after.vout]);
  return q;
}

/**
 * Locks the given outputs for a build, inside the caller's transaction (which has row-locked them as it read them).
 * @throws WalletError INTERNAL when fewer rows were updated than given
 */
export async function lockCoins(
  trx: Knex.Transaction,
  chain: string,
  inputs: readonly Pick<LockedUtxo, 'txid' | 'vout'>[],
  lockedBy: string,
  lockedUntil: Date,
): Promise<void> {
  // (chain = ? AND txid = ? AND vout = ?) OR ...: primary-key lookups. A row constructor `(txid, vout) IN (...)` is
  // not used as a key range by MariaDB: the UPDATE would scan, and X-lock, every output of the table.
  const updated = await trx('utxos')
    .where((w) => {
      for (const i of inputs) void w.orWhere({ chain, txid: i.txid, vout: i.vout });
    })
    .update({ locked_by: lockedBy, locked_until: lockedUntil });
  if (updated !== inputs.length) {
    throw new WalletError('INTERNAL', 'locked fewer outputs than were selected', { details: { chain, updated, selected: inputs.length } });
  }
}

function toLocked(r: UtxoRow): LockedUtxo {
  return {
    chain: r.chain,
    txid: r.txid,
    vout: r.vout,
    script: r.script,
    amount: BigInt(r.amount),
    accountId: r.account_id,
    blockNumber: BigInt(r.block_number),
  };
}

/**
 * Releases the locks a build holds (its transaction was abandoned before reaching the chain, or it was never
 * signed): its outputs are selectable again, unless spent on chain, which no lock changes.
 * @returns how many outputs were released
 */
export async function releaseCoins(trx: Knex | Knex.Transaction, lockedBy: string): Promise<number> {
  return trx('utxos').where({ locked_by: lockedBy }).update({ locked_by: null, locked_until: null });
}

/**
 * Moves a build's locks to `lockedUntil` (its transaction was sent and waits to be mined: its inputs must not lapse).
 * @returns how many outputs it holds
 */
export async function extendCoinLocks(trx: Knex | Knex.Transaction, lockedBy: string, lockedUntil: Date): Promise<number> {
  return trx('utxos').where({ locked_by: lockedBy }).update({ locked_until: lockedUntil });
}

/**
 * Clears the locks that lapsed by `now`: their builds' transactions never reached the chain. An output spent on chain
 * stays spent.
 * @returns the builds whose locks lapsed (each with how many outputs it held)
 */
export async function expireCoinLocks(db: Knex | Knex.Transaction, now: Date): Promise<Map<string, number>> {
  // one transaction (a savepoint inside the caller's), the lapsed rows locked as they are read: the counts are those
  // of the rows cleared, even while a build extends its locks
  return db.transaction(async (trx) => {
    const rows = await trx('utxos')
      .where('locked_until', '<=', now)
      .forUpdate()
      .select<{ chain: string; txid: string; vout: number; locked_by: string }[]>('chain', 'txid', 'vout', 'locked_by');
    const lapsed = new Map<string, number>();
    if (rows.length === 0) return lapsed;
    await trx('utxos')
      .where((w) => {
        for (const r of rows) void w.orWhere({ chain: r.chain, txid: r.txid, vout: r.vout });
      })
      .update({ locked_by: null, locked_until: null });
    for (const r of rows) lapsed.set(r.locked_by, (lapsed.get(r.locked_by) ?? 0) + 1);
    return lapsed;
  });
}
