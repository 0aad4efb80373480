import { randomBytes } from 'node:crypto';
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import type { Knex } from '@wallet/db';
import { terminalStatuses } from '@wallet/withdrawal-protocol';
import type { PrivateLitecoind } from '../harness/PrivateLitecoind.js';
import { litoshi } from '../harness/UtxoWithdrawalWorld.js';
import { type Check, whyOpen } from './invariants.js';
import type { Rng } from './rng.js';
import type { PostRecord, Workload } from './Workload.js';

/**
 * The campaign's Litecoin side: deposits paid from the private litecoind's miner wallet (some BIP125-replaceable, so a
 * fault can double-spend them while they wait in the mempool), withdrawals to fresh regtest addresses, reorgs by
 * `invalidateblock`, and the LTC invariants read against that node.
 */

/** Fee of a deposit, and of its replacement (RBF: a higher absolute fee and fee rate than the one it replaces). */
const DEPOSIT_FEE = 50_000n;
const REPLACEMENT_FEE = 200_000n;
/** BIP125: an input whose sequence is below 0xfffffffe signals that its transaction may be replaced. */
const REPLACEABLE = 0xfffffffd;
const FINAL = 0xfffffffe;
/** The deepest reorg the schedule makes (confirmations + 3), with room: a coin this deep is never moved by one. */
const SAFE_DEPTH = 12;
/** A coinbase spends only 100 blocks after its own: a coin at least this deep stays spendable through any reorg. */
const SAFE_COINBASE_DEPTH = 100 + SAFE_DEPTH;

type Coin = { readonly txid: string; readonly vout: number; readonly amount: number; readonly scriptPubKey: string };

/** One LTC deposit the workload sent: the coin it spent, so that a fault can spend that coin again. */
export type UtxoDepositSent = {
  readonly txid: string;
  readonly to: string;
  readonly accountId: string;
  readonly amount: bigint;
  readonly replaceable: boolean;
  readonly coin: Coin;
  /** The conflicting transaction that replaced it (a double-spend fault), if any. */
  replacedBy?: string;
};

const toCoins = (sat: bigint): number => Number(sat) / 1e8;

/** A fresh P2WPKH address on Litecoin regtest that nobody holds the key of (a withdrawal's destination). */
export function freshLtcAddress(): string {
  return bitcoinAddress.toBech32(randomBytes(20), 0, 'rltc');
}

/**
 * The private litecoind as the campaign drives it: pays deposits from coins no reorg of the run can touch (coinbases
 * mature through any reorg, or change of the campaign's own transactions at least {@link SAFE_DEPTH} deep), so a
 * reorg brings a deposit back to the mempool instead of dropping it; double-spends; reorgs; filler blocks.
 */
export class UtxoChain {
  /** Transactions the campaign built: their change outputs are not coinbases and may be spent again once deep. */
  readonly #own = new Set<string>();
  readonly #used = new Set<string>();
  /** Wallet calls of the miner wallet one at a time (coin selection must not race). */
  #queue: Promise<unknown> = Promise.resolve();
  /** Blocks one mining at a time: no block is mined in the middle of a reorg (between the invalidation and the new branch). */
  #blocks: Promise<unknown> = Promise.resolve();

  constructor(readonly node: PrivateLitecoind) {}

  /** Runs `task` after every earlier one (the miner wallet's coins are chosen by one task at a time). */
  serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Mines `n` blocks paying nobody's wallet (the miner wallet does not grow with them); never during a reorg. */
  mine(n = 1): Promise<string[]> {
    return this.#mining(() => this.node.mineFiller(n));
  }

  #mining<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#blocks.then(task, task);
    this.#blocks = run.catch(() => undefined);
    return run;
  }

  async height(): Promise<number> {
    return this.node.height();
  }

  /** A coin of the miner wallet worth more than `sat` + fees, that no reorg of the run can make unspendable. */
  async #coin(sat: bigint): Promise<Coin> {
    const unspent = await this.node.call<(Coin & { spendable: boolean; confirmations: number })[]>('listunspent', [SAFE_DEPTH], true);
    const found = unspent.find(
      (u) =>
        u.spendable &&
        // Not an MWEB output: listunspent gives those no `vout`, and a raw transaction cannot spend them.
        (u.vout as number | undefined) !== undefined &&
        !this.#used.has(`${u.txid}:${u.vout}`) &&
        litoshi(u.amount) > sat + REPLACEMENT_FEE + 100_000n &&
        (u.confirmations >= SAFE_COINBASE_DEPTH || this.#own.has(u.txid)),
    );
    if (!found) throw new Error('the miner wallet has no coin deep enough for a deposit');
    this.#used.add(`${found.txid}:${found.vout}`);
    return found;
  }

  /** Signs a spend of `coin`: `outputs` (address -> litoshi) and the rest less `fee` back to the miner wallet. */
  async #sign(coin: Coin, outputs: Readonly<Record<string, bigint>>, fee: bigint, sequence: number): Promise<string> {
    const change = await this.node.call<string>('getrawchangeaddress', [], true);
    const paid = Object.values(outputs).reduce((s, v) => s + v, 0n);
    const amounts = {
      ...Object.fromEntries(Object.entries(outputs).map(([a, v]) => [a, toCoins(v)])),
      [change]: toCoins(litoshi(coin.amount) - paid - fee),
    };
    const raw = await this.node.call<string>('createrawtransaction', [[{ txid: coin.txid, vout: coin.vout, sequence }], amounts]);
    const prevtx = { txid: coin.txid, vout: coin.vout, scriptPubKey: coin.scriptPubKey, amount: coin.amount };
    const signed = await this.node.call<{ hex: string; complete: boolean }>('signrawtransactionwithwallet', [raw, [prevtx]], true);
    if (!signed.complete) throw new Error(`litecoind could not sign a spend of ${coin.txid}:${coin.vout}`);
    return signed.hex;
  }

  /** Pays `sat` to `to` from a deep coin, in a transaction of its own. */
  pay(to: string, sat: bigint, replaceable: boolean): Promise<{ txid: string; coin: Coin }> {
    return this.serial(async () => {
      const coin = await this.#coin(sat);
      const hex = await this.#sign(coin, { [to]: sat }, DEPOSIT_FEE, replaceable ? REPLACEABLE : FINAL);
      const txid = await this.node.call<string>('sendrawtransaction', [hex]);
      this.#own.add(txid);
      return { txid, coin };
    });
  }

  /**
   * Replaces an unconfirmed replaceable deposit by a transaction spending its coin back to the miner wallet with a
   * higher fee (BIP125): the deposit leaves the mempool and can never be mined.
   * @returns the replacement's txid
   */
  replace(deposit: UtxoDepositSent): Promise<string> {
    return this.serial(async () => {
      const hex = await this.#sign(deposit.coin, {}, REPLACEMENT_FEE, FINAL);
      const txid = await this.node.call<string>('sendrawtransaction', [hex]);
      this.#own.add(txid);
      deposit.replacedBy = txid;
      return txid;
    });
  }

  /** The txids in the node's mempool. */
  async mempool(): Promise<Set<string>> {
    return new Set(await this.node.call<string[]>('getrawmempool'));
  }

  /**
   * A reorg `depth` blocks deep: the block at that depth is invalidated (it and the blocks above leave the chain, their
   * transactions return to the mempool), `beforeMining` runs with their txids (a double-spend of what came back), then `depth + 1`
   * blocks are mined on the new branch, so it is longer than the old one and every node would follow it.
   * @returns the old tip's height
   */
  reorg(depth: number, beforeMining: (removed: ReadonlySet<string>) => Promise<void> = async () => undefined): Promise<number> {
    return this.#mining(() => this.#reorg(depth, beforeMining));
  }

  async #reorg(depth: number, beforeMining: (removed: ReadonlySet<string>) => Promise<void>): Promise<number> {
    const head = await this.height();
    const d = Math.max(1, Math.min(depth, head - 440)); // never below the MWEB activation the node was mined past
    const removed = new Set<string>();
    let hash = '';
    for (let h = head; h > head - d; h--) {
      hash = await this.node.call<string>('getblockhash', [h]);
      for (const txid of (await this.node.call<{ tx: string[] }>('getblock', [hash, 1])).tx) removed.add(txid);
    }
    await this.node.call('invalidateblock', [hash]);
    try {
      await beforeMining(removed);
    } finally {
      // To a fresh address of the miner wallet: a filler block with the same coinbase, transactions and time as the
      // invalidated one would be that block again, which the node refuses as invalid.
      await this.node.mine(d + 1);
    }
    return head;
  }

  /** Where a transaction is: the block hash and confirmations when mined on the node's chain, null otherwise. */
  async whereIs(txid: string): Promise<{ blockhash: string; confirmations: number } | null> {
    try {
      const tx = await this.node.call<{ blockhash?: string; confirmations?: number }>('getrawtransaction', [txid, true]);
      return tx.blockhash !== undefined && (tx.confirmations ?? 0) >= 1
        ? { blockhash: tx.blockhash, confirmations: tx.confirmations! }
        : null;
    } catch (error) {
      if (String(error).includes('(-5)')) return null; // No such mempool or blockchain transaction
      throw error;
    }
  }
}

/**
 * The workload's Litecoin operations, through the same public API and auditors as the ETH ones (the POSTs are the
 * {@link Workload}'s, so idempotency covers them): each account's LTC deposit address, deposits to them, withdrawals.
 */
export class UtxoWorkload {
  /** Account id -> its LTC deposit address. */
  readonly addresses = new Map<string, string>();
  readonly deposits: UtxoDepositSent[] = [];
  /** Deposits the node refused or that failed to send (the chain is the judge: only sent ones are checked). */
  failedSends = 0;

  constructor(
    readonly workload: Workload,
    readonly chain: UtxoChain,
    readonly rng: Rng,
  ) {}

  /** Gives every account of the workload an LTC deposit address (retrying through faults). */
  async openAddresses(): Promise<void> {
    for (const account of this.workload.accounts) {
      if (this.addresses.has(account.id)) continue;
      for (;;) {
        const rec = await this.workload.post('address', `/v1/accounts/${account.id}/addresses`, { chain: 'ltc' }, 120_000);
        if (rec.outcome === 'refused') throw new Error(`LTC address refused: ${JSON.stringify(rec)}`);
        if (rec.outcome === 'accepted') {
          this.addresses.set(account.id, (rec.answer as { address: string }).address);
          break;
        }
      }
    }
  }

  /**
   * Sends LTC from the miner wallet to a random account's address; four in ten signal replaceability.
   * @param fixed the account and amount @default a random account, 0.05 - 0.5 LTC, from the seed
   */
  async deposit(fixed?: { readonly accountId: string; readonly sat: bigint }): Promise<void> {
    const accountId = fixed?.accountId ?? this.rng.pick(this.workload.accounts).id;
    const amount = fixed?.sat ?? BigInt(this.rng.int(5, 50)) * 1_000_000n;
    const replaceable = this.rng.next() < 0.4;
    const to = this.addresses.get(accountId)!;
    try {
      const { txid, coin } = await this.chain.pay(to, amount, replaceable);
      this.deposits.push({ txid, to, accountId, amount, replaceable, coin });
    } catch {
      this.failedSends++;
    }
  }

  /** A withdrawal of 0.01 - 0.1 LTC from a random account to a fresh address. */
  withdraw(): Promise<PostRecord> {
    const from = this.rng.pick(this.workload.accounts);
    const amount = (BigInt(this.rng.int(1, 10)) * 1_000_000n).toString();
    return this.workload.post('withdrawal', `/v1/accounts/${from.id}/withdrawals`, { asset: 'LTC', to: freshLtcAddress(), amount });
  }

  /** Replaces one of the replaceable deposits now in the mempool (chosen from the seed), if there is one. */
  async doubleSpendOne(rng: Rng, among?: ReadonlySet<string>): Promise<UtxoDepositSent | undefined> {
    const mempool = await this.chain.mempool();
    const candidates = this.deposits.filter(
      (d) => d.replaceable && d.replacedBy === undefined && mempool.has(d.txid) && (among === undefined || among.has(d.txid)),
    );
    if (candidates.length === 0) return undefined;
    const victim = rng.pick(candidates);
    await this.chain.replace(victim);
    return victim;
  }
}

export const isLtcWithdrawal = (p: PostRecord): boolean => (p.body as { asset?: string } | null)?.asset === 'LTC';

const MAX_SHOWN = 20;

function violationList(): { violations: string[]; fail: (message: string) => void } {
  const violations: string[] = [];
  return { violations, fail: (message) => void (violations.length < MAX_SHOWN && violations.push(message)) };
}

/**
 * Every LTC deposit mined on the node's chain with the configured confirmations is credited exactly once, to the
 * account of its address, for its amount, in its block; none is credited (or left credited) whose transaction is not
 * in that block of the chain: a double-spent one, or one a reorg took away.
 */
export async function ltcDepositsCheck(db: Knex, chain: UtxoChain, uw: UtxoWorkload, confirmations: number): Promise<Check> {
  const { violations, fail } = violationList();
  type Row = {
    chain: string;
    id: string;
    txid: string;
    account_id: string;
    address: string;
    amount: string;
    status: string;
    block_hash: string;
  };
  const rows = await db<Row>('deposits')
    .where({ chain: 'ltc' })
    .select('id', 'txid', 'account_id', 'address', 'amount', 'status', 'block_hash');
  const where = new Map<string, Promise<{ blockhash: string; confirmations: number } | null>>();
  const whereIs = (txid: string) => where.get(txid) ?? where.set(txid, chain.whereIs(txid)).get(txid)!;
  const byTx = new Map<string, typeof rows>();
  for (const r of rows) byTx.set(r.txid, [...(byTx.get(r.txid) ?? []), r]);
  let checked = 0;
  for (const d of uw.deposits) {
    checked++;
    const at = await whereIs(d.txid);
    const found = (byTx.get(d.txid) ?? []).filter((r) => r.address === d.to);
    const credited = found.filter((r) => r.status === 'credited');
    if (at === null) {
      if (credited.length > 0)
        fail(
          `LTC deposit ${d.txid}${d.replacedBy ? ` (replaced by ${d.replacedBy})` : ''}: not on the chain, yet credited as ${credited.map((r) => r.id).join(', ')}`,
        );
      continue;
    }
    if (at.confirmations < confirmations) continue; // not confirmed yet: either way is right
    if (credited.length !== 1) {
      fail(
        `LTC deposit ${d.txid} (${at.blockhash}): on the chain, credited ${credited.length} times (rows ${JSON.stringify(found.map((r) => [r.id, r.status]))})`,
      );
      continue;
    }
    const r = credited[0]!;
    if (r.account_id !== d.accountId || BigInt(r.amount) !== d.amount || r.block_hash !== at.blockhash) {
      fail(
        `LTC deposit ${d.txid}: credited as ${r.id} to ${r.account_id} ${r.amount} in ${r.block_hash}, sent to ${d.accountId} ${d.amount} in ${at.blockhash}`,
      );
    }
  }
  const ours = new Set(uw.addresses.values());
  for (const r of rows) {
    if (r.status !== 'credited' || !ours.has(r.address)) continue;
    checked++;
    const at = await whereIs(r.txid);
    if (at === null || at.blockhash !== r.block_hash)
      fail(`LTC deposit ${r.id} (${r.txid}): credited, but its transaction is not in that block of the chain`);
  }
  return {
    name: 'ltc deposits: each mined, confirmed deposit credited exactly once, none credited off the chain (double-spent, reorged out)',
    checked,
    violations,
  };
}

/**
 * Every LTC withdrawal the workload created ended in exactly one terminal status; at most one of its transactions is
 * mined; a confirmed one's output pays exactly its destination and amount, and any other withdrawal paid nothing.
 */
export async function ltcWithdrawalsCheck(db: Knex, chain: UtxoChain, workload: Workload): Promise<Check> {
  const { violations, fail } = violationList();
  const ids = workload.posts.filter((p) => p.kind === 'withdrawal' && p.outcome === 'accepted' && isLtcWithdrawal(p)).map((p) => p.id!);
  for (const id of ids) {
    const w = (await db('withdrawals').where({ id }).first()) as { status: string; to_address: string; amount: string } | undefined;
    if (!w) {
      fail(`LTC withdrawal ${id}: accepted, no row`);
      continue;
    }
    if (!terminalStatuses.has(w.status as never)) fail(`LTC withdrawal ${id}: still ${w.status} (${await whyOpen(db, id)})`);
    const txs = await db('withdrawal_txs').where({ withdrawal_id: id }).select<{ txid: string; vout: number | null }[]>('txid', 'vout');
    const paid: { txid: string; to: string | undefined; value: bigint }[] = [];
    for (const t of new Map(txs.map((x) => [x.txid, x])).values()) {
      if ((await chain.whereIs(t.txid)) === null) continue;
      const tx = await chain.node.call<{ vout: { value: number; n: number; scriptPubKey: { address?: string; addresses?: string[] } }[] }>(
        'getrawtransaction',
        [t.txid, true],
      );
      const out = tx.vout.find((o) => o.n === t.vout);
      paid.push({ txid: t.txid, to: out?.scriptPubKey.address ?? out?.scriptPubKey.addresses?.[0], value: out ? litoshi(out.value) : 0n });
    }
    if (paid.length > 1) fail(`LTC withdrawal ${id}: paid ${paid.length} times on chain (${paid.map((m) => m.txid).join(', ')})`);
    if (w.status === 'confirmed') {
      const p = paid[0];
      if (!p) fail(`LTC withdrawal ${id}: confirmed, but no transaction of it is on the chain`);
      else if (p.to !== w.to_address || p.value !== BigInt(w.amount))
        fail(`LTC withdrawal ${id}: paid ${p.value} to ${p.to} in ${p.txid}, approved ${w.amount} to ${w.to_address}`);
    } else if (terminalStatuses.has(w.status as never) && paid.length > 0) {
      fail(`LTC withdrawal ${id}: ${w.status}, yet paid on chain by ${paid[0]!.txid}`);
    }
  }
  return {
    name: 'ltc withdrawals: one terminal status each, at most one payment, exactly the approved destination and amount',
    checked: ids.length,
    violations,
  };
}

/**
 * The miner fees the wallet paid in blocks `from`..tip of the node's chain: for every transaction spending an output
 * the scanner recorded as the wallet's (`utxos`), its inputs less its outputs. Exact: the inputs' amounts are the
 * recorded ones, the outputs the block's; a transaction that spends a wallet output and anything else is reported.
 */
export async function walletMinerFees(
  db: Knex,
  chain: UtxoChain,
  from: number,
): Promise<{ fees: bigint; txs: number; problems: string[] }> {
  const owned = new Map<string, bigint>();
  const rows = await db('utxos').where({ chain: 'ltc' }).select<{ txid: string; vout: number; amount: string }[]>('txid', 'vout', 'amount');
  for (const u of rows) owned.set(`${u.txid}:${u.vout}`, BigInt(u.amount));
  let fees = 0n;
  let txs = 0;
  const problems: string[] = [];
  const head = await chain.height();
  for (let h = from; h <= head; h++) {
    const hash = await chain.node.call<string>('getblockhash', [h]);
    const block = await chain.node.call<{ tx: { txid: string; vin: { txid?: string; vout?: number }[]; vout: { value: number }[] }[] }>(
      'getblock',
      [hash, 2],
    );
    for (const tx of block.tx) {
      const ins = tx.vin.filter((i) => i.txid !== undefined).map((i) => owned.get(`${i.txid}:${i.vout}`));
      if (!ins.some((v) => v !== undefined)) continue;
      if (ins.some((v) => v === undefined)) {
        problems.push(`${tx.txid} spends wallet outputs and others`);
        continue;
      }
      txs++;
      fees += ins.reduce<bigint>((s, v) => s + v!, 0n) - tx.vout.reduce((s, o) => s + litoshi(o.value), 0n);
    }
  }
  return { fees, txs, problems };
}

/** One asset's figures from `walletctl treasury check --json`. */
export type Books = {
  readonly liabilities: bigint;
  readonly holdings: bigint;
  readonly difference: bigint;
  /** The block the holdings were read at (EVM: the scanner's; UTXO: null, the scanner's record of the outputs). */
  readonly block: number | null;
};

/**
 * The LTC books against the chain, exactly: from the start of the run to its end, holdings less liabilities moved by
 * the fees users paid on confirmed LTC withdrawals, less the miner fees the wallet's own transactions paid in the run's
 * blocks ({@link walletMinerFees}: read from the chain, so a fee-bumped or rebuilt payout counts what was mined, not
 * what was signed), less what deposit reversals could not take back (the LTC reorg shortfall account). Any other
 * change is money created or lost.
 */
export async function ltcBooksCheck(db: Knex, chain: UtxoChain, before: Books, after: Books, startHeight: number): Promise<Check> {
  const [[fees]] = (await db.raw(
    "SELECT CAST(COALESCE(SUM(fee), 0) AS CHAR) AS s FROM withdrawals WHERE asset = 'LTC' AND status = 'confirmed' AND internal_account_id IS NULL",
  )) as [[{ s: string }]];
  const [[shortfall]] = (await db.raw(
    "SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM journal WHERE account_id = 'sys:chain:ltc:reorg_shortfall' AND asset = 'LTC'",
  )) as [[{ s: string }]];
  const miner = await walletMinerFees(db, chain, startHeight + 1);
  const expected = before.difference + BigInt(fees.s) - miner.fees + BigInt(shortfall.s);
  const violations = miner.problems.slice(0, MAX_SHOWN);
  if (after.difference !== expected) {
    violations.push(
      `LTC: holdings - liabilities went from ${before.difference} to ${after.difference}; user fees ${fees.s}, miner fees ${miner.fees} (${miner.txs} wallet transactions), reorg shortfall ${shortfall.s} make ${expected} (off by ${after.difference - expected})`,
    );
  }
  if (after.difference < 0n) violations.push(`LTC: holdings ${after.holdings} short of liabilities ${after.liabilities}`);
  return {
    name: "ltc books against the chain: the wallet's own LTC moved only by user fees, miner fees and reorg shortfalls",
    checked: miner.txs + 1,
    violations,
  };
}
