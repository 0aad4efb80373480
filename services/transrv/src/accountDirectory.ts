import type { Db } from '@wallet/db';
import { WalletError } from '@wallet/errors';

export type AccountBinding = { readonly clientId: string; readonly nodeId: string };

/**
 * Which client and node each account belongs to, read from accountsrv's table and cached forever:
 * a binding never changes (a trigger in MySQL refuses it), so a cached answer cannot go stale.
 */
export class AccountDirectory {
  readonly #db: Db;
  readonly #cache = new Map<string, AccountBinding>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** The binding, or undefined when there is no such account. */
  async lookup(accountId: string): Promise<AccountBinding | undefined> {
    const cached = this.#cache.get(accountId);
    if (cached) return cached;
    const row = await this.#db('accounts')
      .where({ id: accountId })
      .first<{ client_id: string; node_id: string } | undefined>('client_id', 'node_id');
    if (!row) return undefined;
    const binding = { clientId: row.client_id, nodeId: row.node_id };
    if (this.#cache.size > 1_000_000) this.#cache.clear();
    this.#cache.set(accountId, binding);
    return binding;
  }

  /**
   * Resolves an account that must live on `nodeId` (and, when given, belong to `clientId`).
   * @throws WalletError ACCOUNT_NOT_FOUND otherwise: a request routed to the wrong node is refused, never served
   */
  async require(accountId: string, nodeId: string, clientId?: string): Promise<AccountBinding> {
    const binding = await this.lookup(accountId);
    if (!binding || binding.nodeId !== nodeId || (clientId !== undefined && binding.clientId !== clientId)) {
      throw new WalletError('ACCOUNT_NOT_FOUND', 'no such account', { details: { accountId } });
    }
    return binding;
  }
}
