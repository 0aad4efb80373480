import { WalletError, isWalletError } from '@wallet/errors';
import type { AccountServiceService } from '@wallet/proto';
import type { AnyInstanceClient } from '@wallet/routing';
import type { Redis } from 'ioredis';

export type AccountRoute = { readonly clientId: string; readonly nodeId: string };

/**
 * Which transrv node owns an account. Bindings never change, so answers are cached for good: in
 * process (LRU) and in Redis (shared by gateways); a miss asks accountsrv. The cache can only be
 * incomplete, never wrong, so it is safe for Redis to lose it. Keys are the id exactly as the account has it
 * (ids compare byte for byte since migration 0006; the key prefix is versioned so entries written before it,
 * possibly under another spelling, are never read).
 */
export class AccountRouter {
  readonly #accountsrv: AnyInstanceClient<typeof AccountServiceService>;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #capacity: number;
  readonly #lru = new Map<string, AccountRoute>();

  /** @param capacity in-process entries @default 100000 */
  constructor(accountsrv: AnyInstanceClient<typeof AccountServiceService>, redis: Redis, prefix: string, capacity = 100_000) {
    this.#accountsrv = accountsrv;
    this.#redis = redis;
    this.#prefix = prefix;
    this.#capacity = capacity;
  }

  /**
   * The node of `accountId`, which must belong to `clientId`.
   * @throws WalletError ACCOUNT_NOT_FOUND (also for another client's account: never a 403)
   */
  async resolve(clientId: string, accountId: string): Promise<AccountRoute> {
    const route = await this.#lookup(accountId);
    if (!route || route.clientId !== clientId) throw new WalletError('ACCOUNT_NOT_FOUND', 'no such account', { details: { accountId } });
    return route;
  }

  /** Seeds the caches with a binding just learned (e.g. from CreateAccount). */
  remember(accountId: string, route: AccountRoute): void {
    this.#remember(accountId, route);
    void this.#redis.set(this.#prefix + accountId, `${route.clientId} ${route.nodeId}`).catch(() => {});
  }

  async #lookup(accountId: string): Promise<AccountRoute | undefined> {
    const hit = this.#lru.get(accountId);
    if (hit) {
      // Refresh recency: Map keeps insertion order, so re-inserting moves it to the young end.
      this.#lru.delete(accountId);
      this.#lru.set(accountId, hit);
      return hit;
    }
    const cached = await this.#redis.get(this.#prefix + accountId).catch(() => null);
    if (cached) {
      const [clientId, nodeId] = cached.split(' ');
      if (clientId && nodeId) {
        this.#remember(accountId, { clientId, nodeId });
        return { clientId, nodeId };
      }
    }
    try {
      const account = await this.#accountsrv.pick().getAccount({ clientId: '', accountId });
      // Ids compare byte for byte: an answer for another spelling is not this id's binding (and is never cached).
      if (account.id !== accountId) return undefined;
      const route = { clientId: account.clientId, nodeId: account.nodeId };
      this.remember(accountId, route);
      return route;
    } catch (error) {
      if (isWalletError(error, 'ACCOUNT_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  #remember(accountId: string, route: AccountRoute): void {
    if (this.#lru.size >= this.#capacity) {
      const oldest = this.#lru.keys().next();
      if (!oldest.done) this.#lru.delete(oldest.value);
    }
    this.#lru.set(accountId, route);
  }
}
