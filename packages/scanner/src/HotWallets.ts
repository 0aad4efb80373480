import type { Knex } from '@wallet/db';

/**
 * What is known of a transaction sent from a hot wallet: its withdrawal (MySQL) and localhash (blockout_ctx), or that
 * it is one of signsrv's reviewed treasury moves (a cold transfer, a contract call: `treasury_moves`).
 */
export type OutgoingMatch = { readonly withdrawalId: string | null; readonly localhash: string | null; readonly treasury?: boolean };

/**
 * What is known of a UTXO transaction spending the wallet's outputs. It may pay several withdrawals (a batch: one
 * `withdrawal_txs` row each), or be a consolidation (`utxo_builds` of kind `consolidation` with its txid), or neither:
 * an unknown spend.
 */
export type SpendMatch = OutgoingMatch & {
  /** How many withdrawals it pays (rows of `withdrawal_txs`). */
  readonly members: number;
  /** Whether it is one of the wallet's consolidations. */
  readonly consolidation: boolean;
  /** The fee it paid as signsrv recorded it: the members' shares summed, or the consolidation's fee; 0 when unknown. */
  readonly fee: bigint;
};

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
    const [rows, moves, hashes] = await Promise.all([
      this.#db('withdrawal_txs')
        .where({ chain: this.#chain })
        .whereIn('txid', [...txids])
        .select<{ txid: string; withdrawal_id: string }[]>('txid', 'withdrawal_id'),
      this.#db('treasury_moves')
        .where({ chain: this.#chain })
        .whereIn('txid', [...txids])
        .whereIn('kind', ['cold_transfer', 'contract_call'])
        .pluck<string[]>('txid'),
      this.#ctxLookup(txids).catch(() => txids.map(() => null)),
    ]);
    const withdrawalOf = new Map(rows.map((r) => [r.txid, r.withdrawal_id]));
    const treasury = new Set(moves);
    txids.forEach((txid, i) =>
      result.set(txid, {
        withdrawalId: withdrawalOf.get(txid) ?? null,
        localhash: hashes[i] ?? null,
        ...(treasury.has(txid) ? { treasury: true } : {}),
      }),
    );
    return result;
  }

  /**
   * Matches UTXO transactions that spend the wallet's outputs: to the withdrawals they pay (MySQL `withdrawal_txs`, one
   * row per member of a batch), or to a consolidation (`utxo_builds`). Two queries and one blockout_ctx lookup for the
   * whole list, whatever its length.
   *
   * blockout_ctx holds one localhash per transaction (the member whose send wrote it), so it is kept only for a
   * transaction that pays one withdrawal: on a batch's shared observation it would contradict every other member, and
   * settlement decides from MySQL anyway.
   * @returns a match per txid (`withdrawalId` null when it pays no withdrawal; for a batch, the lowest id of its members)
   */
  async matchSpends(txids: readonly string[]): Promise<Map<string, SpendMatch>> {
    const result = new Map<string, SpendMatch>();
    if (txids.length === 0) return result;
    const list = txids.map(() => '?').join(', ');
    const paidRows = async () =>
      (
        (await this.#db.raw(
          `SELECT txid, MIN(withdrawal_id) AS withdrawal_id, COUNT(*) AS members, CAST(COALESCE(SUM(network_fee), 0) AS CHAR) AS fee
         FROM withdrawal_txs WHERE chain = ? AND txid IN (${list}) GROUP BY txid`,
          [this.#chain, ...txids],
        )) as [{ txid: string; withdrawal_id: string; members: number | string; fee: string }[]]
      )[0];
    const consolidationRows = async () =>
      (
        (await this.#db.raw(
          `SELECT txid, CAST(fee AS CHAR) AS fee FROM utxo_builds WHERE chain = ? AND kind IN ('consolidation', 'cold_transfer') AND txid IN (${list})`,
          [this.#chain, ...txids],
        )) as [{ txid: string; fee: string }[]]
      )[0];
    const [members, builds, hashes] = await Promise.all([
      paidRows(),
      consolidationRows(),
      this.#ctxLookup(txids).catch(() => txids.map(() => null)),
    ]);
    const paid = new Map(members.map((r) => [r.txid, r]));
    const consolidations = new Map(builds.map((r) => [r.txid, r.fee]));
    txids.forEach((txid, i) => {
      const m = paid.get(txid);
      const count = m === undefined ? 0 : Number(m.members);
      const consolidation = consolidations.get(txid);
      result.set(txid, {
        withdrawalId: m?.withdrawal_id ?? null,
        localhash: count === 1 ? (hashes[i] ?? null) : null,
        members: count,
        consolidation: consolidation !== undefined,
        fee: BigInt(m?.fee ?? consolidation ?? '0'),
      });
    });
    return result;
  }
}
