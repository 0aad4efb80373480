import type { Knex } from '@wallet/db';

/** What is known of a transaction sent from a hot wallet: its withdrawal (MySQL) and localhash (blockout_ctx). */
export type OutgoingMatch = { readonly withdrawalId: string | null; readonly localhash: string | null };

/**
 * The hot wallet addresses of one chain (public; signsrv records them in MySQL at start), so the scanner can report
 * every transaction they send, and the lookup that matches such a transaction to its withdrawal.
 *
 * A transaction is matched by its hash: to the withdrawal signsrv stored it for (MySQL `withdrawal_txs`, written
 * before broadcasting, so it is always there by the time the transaction is mined), and to the localhash signsrv
 * put in Redis `blockout_ctx` (settlement refuses a transaction whose localhash differs from the withdrawal's).
 * A transaction from the hot wallet that matches no withdrawal is an unknown spend: an alarm.
 */
export class HotWallets {
  readonly #db: Knex;
  readonly #chain: string;
  readonly #canonical: (address: string) => string;
  readonly #ctxLookup: (txids: readonly string[]) => Promise<(string | null)[]>;
  #addresses = new Set<string>();

  /**
   * @param ctxLookup localhash per transaction hash from blockout_ctx (null where Redis has none, e.g. after a
   * FLUSHALL: then only MySQL matches it)
   */
  constructor(
    db: Knex,
    chain: string,
    canonical: (address: string) => string,
    ctxLookup: (txids: readonly string[]) => Promise<(string | null)[]>,
  ) {
    this.#db = db;
    this.#chain = chain;
    this.#canonical = canonical;
    this.#ctxLookup = ctxLookup;
  }

  async refresh(): Promise<void> {
    const rows = await this.#db('hot_wallets').where({ chain: this.#chain }).select<{ address: string }[]>('address');
    this.#addresses = new Set(rows.map((r) => this.#canonical(r.address)));
  }

  get size(): number {
    return this.#addresses.size;
  }

  /** Whether `from` (canonical form) is a hot wallet of the chain. */
  readonly has = (from: string): boolean => this.#addresses.has(from);

  /** Matches transactions to withdrawals. @returns a match per txid (null fields where unknown) */
  async match(txids: readonly string[]): Promise<Map<string, OutgoingMatch>> {
    const result = new Map<string, OutgoingMatch>();
    if (txids.length === 0) return result;
    const [rows, hashes] = await Promise.all([
      this.#db('withdrawal_txs')
        .where({ chain: this.#chain })
        .whereIn('txid', [...txids])
        .select<{ txid: string; withdrawal_id: string }[]>('txid', 'withdrawal_id'),
      this.#ctxLookup(txids).catch(() => txids.map(() => null)),
    ]);
    const withdrawalOf = new Map(rows.map((r) => [r.txid, r.withdrawal_id]));
    txids.forEach((txid, i) => result.set(txid, { withdrawalId: withdrawalOf.get(txid) ?? null, localhash: hashes[i] ?? null }));
    return result;
  }
}
