import type { Knex } from '@wallet/db';

export type Owner = { readonly accountId: string; readonly nodeId: string };

/**
 * The deposit addresses of one chain, in memory for O(1) lookups while scanning, refreshed from MySQL
 * incrementally (by address row id), so an address created a moment ago is watched from the next block.
 * Addresses are kept in the adapter's canonical form (lower-case hex for EVM).
 */
export class WatchedAddresses {
  readonly #db: Knex;
  readonly #chain: string;
  readonly #canonical: (address: string) => string;
  // address -> account number; accounts and nodes are stored once each, not once per address, which
  // keeps a million addresses to about one map entry each.
  readonly #index = new Map<string, number>();
  readonly #accountIds: string[] = [];
  readonly #accountNode: number[] = [];
  readonly #accountNumber = new Map<string, number>();
  readonly #nodes: string[] = [];
  #lastId = 0;

  constructor(db: Knex, chain: string, canonical: (address: string) => string) {
    this.#db = db;
    this.#chain = chain;
    this.#canonical = canonical;
  }

  get size(): number {
    return this.#index.size;
  }

  /** Loads addresses created since the last refresh. @returns how many were added */
  async refresh(batch = 50_000): Promise<number> {
    let added = 0;
    for (;;) {
      // STRAIGHT_JOIN: walk addresses by primary key and look each account up. Right after a large import
      // MariaDB's statistics can make it start from accounts and sort all addresses for every batch
      // (measured: 34 s per batch instead of 0.1 s).
      const [rows] = (await this.#db.raw(
        `SELECT STRAIGHT_JOIN a.id, a.address, a.account_id, acc.node_id
         FROM addresses a JOIN accounts acc ON acc.id = a.account_id
         WHERE a.chain = ? AND a.id > ? ORDER BY a.id LIMIT ?`,
        [this.#chain, this.#lastId, batch],
      )) as [{ id: string; address: string; account_id: string; node_id: string }[]];
      for (const r of rows) {
        let account = this.#accountNumber.get(r.account_id);
        if (account === undefined) {
          let node = this.#nodes.indexOf(r.node_id);
          if (node < 0) node = this.#nodes.push(r.node_id) - 1;
          account = this.#accountIds.push(r.account_id) - 1;
          this.#accountNode.push(node);
          this.#accountNumber.set(r.account_id, account);
        }
        this.#index.set(this.#canonical(r.address), account);
        this.#lastId = Number(r.id);
        added++;
      }
      if (rows.length < batch) return added;
    }
  }

  /** Whether `address` (canonical form) is a deposit address; fast enough to call for every output. */
  readonly has = (address: string): boolean => this.#index.has(address);

  owner(address: string): Owner | undefined {
    const account = this.#index.get(this.#canonical(address));
    if (account === undefined) return undefined;
    return { accountId: this.#accountIds[account]!, nodeId: this.#nodes[this.#accountNode[account]!]! };
  }
}
