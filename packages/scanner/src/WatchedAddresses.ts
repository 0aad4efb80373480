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
  // address -> index into the owner arrays: far less memory than an object per address.
  readonly #index = new Map<string, number>();
  readonly #accounts: string[] = [];
  readonly #nodeOf: number[] = [];
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
      const rows = await this.#db('addresses as a')
        .join('accounts as acc', 'acc.id', 'a.account_id')
        .where('a.chain', this.#chain)
        .andWhere('a.id', '>', this.#lastId)
        .orderBy('a.id')
        .limit(batch)
        .select<{ id: string; address: string; account_id: string; node_id: string }[]>('a.id', 'a.address', 'a.account_id', 'acc.node_id');
      for (const r of rows) {
        let node = this.#nodes.indexOf(r.node_id);
        if (node < 0) node = this.#nodes.push(r.node_id) - 1;
        this.#index.set(this.#canonical(r.address), this.#accounts.length);
        this.#accounts.push(r.account_id);
        this.#nodeOf.push(node);
        this.#lastId = Number(r.id);
        added++;
      }
      if (rows.length < batch) return added;
    }
  }

  /** Whether `address` (canonical form) is a deposit address; fast enough to call for every output. */
  readonly has = (address: string): boolean => this.#index.has(address);

  owner(address: string): Owner | undefined {
    const i = this.#index.get(this.#canonical(address));
    if (i === undefined) return undefined;
    return { accountId: this.#accounts[i]!, nodeId: this.#nodes[this.#nodeOf[i]!]! };
  }
}
