import type { Knex } from '@wallet/db';
import type { AddressIndex } from './blockSource.js';

/**
 * Who an output or transfer to a watched address belongs to. `wallet`: the wallet itself (a change or consolidation
 * address of a UTXO chain, `wallet_addresses`): its outputs join the UTXO set but are never deposits (nothing is
 * credited); `accountId` is then {@link walletOwnerId}, `clientId` and `nodeId` empty.
 */
export type Owner = { readonly accountId: string; readonly clientId: string; readonly nodeId: string; readonly wallet?: true };

/**
 * The owner recorded in `utxos.account_id` for the wallet's own outputs (change, consolidation) on `chain`.
 * @param chain a chain id (at most 16 characters: the id fits `utxos.account_id`)
 */
export function walletOwnerId(chain: string): string {
  return `sys:chain:${chain}:wallet`;
}

/** The default index: a Map of canonical addresses (EVM: lower-case hex). */
class MapAddressIndex implements AddressIndex {
  readonly #map = new Map<string, number>();
  constructor(private readonly canonical: (address: string) => string) {}
  get size(): number {
    return this.#map.size;
  }
  add(address: string, value: number): boolean {
    const key = this.canonical(address);
    if (this.#map.has(key)) return false;
    this.#map.set(key, value);
    return true;
  }
  get(address: string): number | undefined {
    return this.#map.get(this.canonical(address));
  }
  /** Canonical addresses only: what scanBlock asks with. */
  readonly has = (address: string): boolean => this.#map.has(address);
}

/**
 * The deposit addresses of one chain (and, on UTXO chains, the wallet's own change and consolidation addresses), in memory for O(1) lookups while scanning, refreshed from MySQL
 * incrementally (by address row id), so an address created a moment ago is watched from the next block.
 * Held in the source's own index where it has one (UTXO chains: scriptPubKey bytes in flat arrays, matched without
 * turning every output into an address), else in a Map of canonical addresses (lower-case hex for EVM).
 */
export class WatchedAddresses {
  readonly #db: Knex;
  readonly #chain: string;
  readonly #index: AddressIndex;
  // address -> account number; accounts and nodes are stored once each, not once per address, which
  // keeps a million addresses to about one index entry each.
  readonly #accountIds: string[] = [];
  readonly #accountNode: number[] = [];
  readonly #accountClient: number[] = [];
  readonly #clients: string[] = [];
  readonly #accountNumber = new Map<string, number>();
  readonly #nodes: string[] = [];
  #lastId = 0;
  /** Last `wallet_addresses` row id loaded. */
  #lastWalletId = 0;
  /** The account number of the wallet's own addresses, once one is loaded. */
  #walletAccount: number | undefined;
  /** What `scanBlock` matches against: the source's index, or a predicate over canonical addresses. */
  readonly matcher: ((address: string) => boolean) | AddressIndex;

  /**
   * @param canonical the source's canonical address form (used by the default Map index)
   * @param index the source's own index (`BlockSource.createAddressIndex`), if it has one
   */
  constructor(db: Knex, chain: string, canonical: (address: string) => string, index?: AddressIndex) {
    this.#db = db;
    this.#chain = chain;
    if (index) {
      this.#index = index;
      this.matcher = index;
    } else {
      const map = new MapAddressIndex(canonical);
      this.#index = map;
      this.matcher = map.has;
    }
  }

  get size(): number {
    return this.#index.size;
  }

  /**
   * Loads addresses created since the last refresh: deposit addresses, then the wallet's own (`wallet_addresses`).
   * @returns how many were added
   */
  async refresh(batch = 10_000): Promise<number> {
    return (await this.#refreshDeposit(batch)) + (await this.#refreshWallet(batch));
  }

  async #refreshDeposit(batch: number): Promise<number> {
    let added = 0;
    for (;;) {
      // STRAIGHT_JOIN: walk addresses by primary key and look each account up. Right after a large import
      // MariaDB's statistics can make it start from accounts and sort all addresses for every batch
      // (measured: 34 s per batch instead of 0.1 s).
      const [rows] = (await this.#db.raw(
        `SELECT STRAIGHT_JOIN a.id, a.address, a.account_id, acc.node_id, acc.client_id
         FROM addresses a JOIN accounts acc ON acc.id = a.account_id
         WHERE a.chain = ? AND a.id > ? ORDER BY a.id LIMIT ?`,
        [this.#chain, this.#lastId, batch],
      )) as [{ id: string; address: string; account_id: string; node_id: string; client_id: string }[]];
      for (const r of rows) {
        let account = this.#accountNumber.get(r.account_id);
        if (account === undefined) {
          let node = this.#nodes.indexOf(r.node_id);
          if (node < 0) node = this.#nodes.push(r.node_id) - 1;
          let client = this.#clients.indexOf(r.client_id);
          if (client < 0) client = this.#clients.push(r.client_id) - 1;
          account = this.#accountIds.push(r.account_id) - 1;
          this.#accountNode.push(node);
          this.#accountClient.push(client);
          this.#accountNumber.set(r.account_id, account);
        }
        this.#index.add(r.address, account);
        this.#lastId = Number(r.id);
        added++;
      }
      if (rows.length < batch) return added;
    }
  }

  /** The wallet's change and consolidation addresses (UTXO chains; none on others), by row id like deposit addresses. */
  async #refreshWallet(batch: number): Promise<number> {
    let added = 0;
    for (;;) {
      const rows = await this.#db('wallet_addresses')
        .where({ chain: this.#chain })
        .andWhere('id', '>', this.#lastWalletId)
        .orderBy('id')
        .limit(batch)
        .select<{ id: string | number; address: string }[]>('id', 'address');
      for (const r of rows) {
        if (this.#walletAccount === undefined) {
          // One account number for all of them, with no node: the wallet's outputs are credited to nobody.
          this.#walletAccount = this.#accountIds.push(walletOwnerId(this.#chain)) - 1;
          this.#accountNode.push(-1);
          this.#accountClient.push(-1);
        }
        this.#index.add(r.address, this.#walletAccount);
        this.#lastWalletId = Number(r.id);
        added++;
      }
      if (rows.length < batch) return added;
    }
  }

  /** Whether `address` (any form the chain accepts) is watched: a deposit address or one of the wallet's own. */
  readonly has = (address: string): boolean => this.#index.get(address) !== undefined;

  owner(address: string): Owner | undefined {
    const account = this.#index.get(address);
    if (account === undefined) return undefined;
    if (account === this.#walletAccount) return { accountId: this.#accountIds[account]!, clientId: '', nodeId: '', wallet: true };
    return {
      accountId: this.#accountIds[account]!,
      clientId: this.#clients[this.#accountClient[account]!]!,
      nodeId: this.#nodes[this.#accountNode[account]!]!,
    };
  }
}
