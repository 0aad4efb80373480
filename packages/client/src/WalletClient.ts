import { type Page, PageIterator } from './PageIterator.js';
import { type Query, requestTarget } from './requestTarget.js';
import { type ApiRequest, type ApiResponse, type CallOptions, Transport, type TransportOptions } from './Transport.js';
import type {
  Account,
  Address,
  Asset,
  Balance,
  CreateAccountRequest,
  CreateAddressRequest,
  CreateTransferRequest,
  CreateWithdrawalRequest,
  Deposit,
  Health,
  LedgerEntry,
  ListOptions,
  ReservesProof,
  Transfer,
  Withdrawal,
} from './types.js';

export type WalletClientOptions = TransportOptions;

/** Options of a call that reads: an abort signal and a request id to trace it by. */
export type ReadOptions = Omit<CallOptions, 'idempotencyKey'>;

/**
 * The wallet cluster's HTTP API (docs/api.md) for an exchange's back office. Every request is signed; every POST
 * carries an Idempotency-Key (a fresh one per call unless given), which all its retries reuse, so a call that is
 * retried after a lost answer takes effect once. Failures throw {@link WalletApiError}.
 *
 * ```ts
 * const wallet = new WalletClient({ baseUrl: 'https://wallet.example.com', keyId, secret });
 * const account = await wallet.accounts.create({ externalId: 'user-42' });
 * for await (const deposit of wallet.deposits.list({ account: account.id })) console.log(deposit.amount, deposit.status);
 * ```
 */
export class WalletClient {
  readonly #transport: Transport;

  /**
   * @param options where the gateway is, the API key and its secret, and the retry and timeout settings
   */
  constructor(options: WalletClientOptions) {
    this.#transport = new Transport(options);
  }

  /**
   * Sends any request of the API, for a route this SDK has no method for yet. Build `target` with `requestTarget`.
   * @param request method, target (path and query) and body
   * @param options idempotency key (POST), request id, abort signal
   * @returns the answer's status, body, request id and whether it was replayed
   */
  request<T>(request: ApiRequest, options?: CallOptions): Promise<ApiResponse<T>> {
    return this.#transport.send<T>(request, options);
  }

  /** `GET /v1/assets`: the assets this wallet serves, with decimals, confirmations, limits and fees. */
  readonly assets = {
    list: async (options?: ReadOptions): Promise<Asset[]> => (await this.#get<{ data: Asset[] }>('/v1/assets', {}, {}, options)).data,
  };

  readonly accounts = {
    /**
     * `POST /v1/accounts`: opens an account for one of the exchange's users; the same `externalId` again answers the
     * same account.
     */
    create: (body: CreateAccountRequest, options?: CallOptions): Promise<Account> => this.#post('/v1/accounts', {}, body, options),
    /** `GET /v1/accounts/{id}`. */
    get: (id: string, options?: ReadOptions): Promise<Account> => this.#get('/v1/accounts/{id}', { id }, {}, options),
    /** `GET /v1/accounts/{id}/balances`: every listed asset's `available`, `frozen` and `pending`, zeros included. */
    balances: async (id: string, options?: ReadOptions): Promise<Balance[]> =>
      (await this.#get<{ data: Balance[] }>('/v1/accounts/{id}/balances', { id }, {}, options)).data,
    /** `GET /v1/accounts`: this client's accounts, newest first (`order: 'asc'`: oldest first). */
    list: (list: ListOptions<'/v1/accounts'> = {}, options?: ReadOptions): PageIterator<Account> =>
      this.#list('/v1/accounts', {}, list, options),
    /** `GET /v1/accounts?externalId=`: the account with exactly this `externalId`, or null. */
    findByExternalId: async (externalId: string, options?: ReadOptions): Promise<Account | null> =>
      (await this.#get<Page<Account>>('/v1/accounts', {}, { externalId }, options)).data[0] ?? null,
    /**
     * `GET /v1/accounts/{id}/reserves-proof?asset=`: the account's leaf in the latest proof-of-reserves report of the
     * asset, the client's salt and the path to the root. Check it yourself (docs/reserves.md): it proves the exchange
     * counted what it owes this account in the total it published.
     */
    reservesProof: (id: string, asset: string, options?: ReadOptions): Promise<ReservesProof> =>
      this.#get('/v1/accounts/{id}/reserves-proof', { id }, { asset }, options),
  };

  readonly addresses = {
    /** `POST /v1/accounts/{id}/addresses`: a new deposit address on `chain`. */
    create: (accountId: string, body: CreateAddressRequest, options?: CallOptions): Promise<Address> =>
      this.#post('/v1/accounts/{id}/addresses', { id: accountId }, body, options),
    /** `GET /v1/accounts/{id}/addresses`: newest first. */
    list: (accountId: string, list: ListOptions<'/v1/accounts/{id}/addresses'> = {}, options?: ReadOptions): PageIterator<Address> =>
      this.#list('/v1/accounts/{id}/addresses', { id: accountId }, list, options),
  };

  readonly deposits = {
    /**
     * `GET /v1/deposits`: the deposits of every account of this client, newest first (`order: 'asc'`: oldest first),
     * filtered by `account`, `asset`, `status`, `since`, `until`.
     */
    list: (list: ListOptions<'/v1/deposits'> = {}, options?: ReadOptions): PageIterator<Deposit> =>
      this.#list('/v1/deposits', {}, list, options),
    /** `GET /v1/accounts/{id}/deposits`: one account's deposits, newest first (by when first seen). */
    listByAccount: (
      accountId: string,
      list: ListOptions<'/v1/accounts/{id}/deposits'> = {},
      options?: ReadOptions,
    ): PageIterator<Deposit> => this.#list('/v1/accounts/{id}/deposits', { id: accountId }, list, options),
  };

  readonly ledger = {
    /** `GET /v1/accounts/{id}/ledger`: an account's ledger lines, newest first (posting order). */
    list: (accountId: string, list: ListOptions<'/v1/accounts/{id}/ledger'> = {}, options?: ReadOptions): PageIterator<LedgerEntry> =>
      this.#list('/v1/accounts/{id}/ledger', { id: accountId }, list, options),
  };

  readonly transfers = {
    /** `POST /v1/transfers`: moves `amount` of `asset` between two accounts of this client, at once. */
    create: (body: CreateTransferRequest, options?: CallOptions): Promise<Transfer> => this.#post('/v1/transfers', {}, body, options),
    /** `GET /v1/transfers/{id}`. */
    get: (id: string, options?: ReadOptions): Promise<Transfer> => this.#get('/v1/transfers/{id}', { id }, {}, options),
    /**
     * `GET /v1/transfers`: this client's transfers, newest first (`order: 'asc'`: oldest first), filtered by `account`
     * (either side), `asset`, `status`, `reference`, `since`, `until`.
     */
    list: (list: ListOptions<'/v1/transfers'> = {}, options?: ReadOptions): PageIterator<Transfer> =>
      this.#list('/v1/transfers', {}, list, options),
    /** The transfer with your `reference`, or null. */
    findByReference: async (reference: string, options?: ReadOptions): Promise<Transfer | null> =>
      (await this.#get<Page<Transfer>>('/v1/transfers', {}, { reference }, options)).data[0] ?? null,
  };

  readonly withdrawals = {
    /** `POST /v1/accounts/{id}/withdrawals`: a withdrawal in `pending_review`, `amount + fee` frozen. */
    create: (accountId: string, body: CreateWithdrawalRequest, options?: CallOptions): Promise<Withdrawal> =>
      this.#post('/v1/accounts/{id}/withdrawals', { id: accountId }, body, options),
    /** `GET /v1/withdrawals/{id}`. */
    get: (id: string, options?: ReadOptions): Promise<Withdrawal> => this.#get('/v1/withdrawals/{id}', { id }, {}, options),
    /** `POST /v1/withdrawals/{id}/cancel`: only while `pending_review`; releases `amount + fee`. */
    cancel: (id: string, options?: CallOptions): Promise<Withdrawal> => this.#post('/v1/withdrawals/{id}/cancel', { id }, {}, options),
    /**
     * `GET /v1/withdrawals`: the withdrawals of every account of this client, newest first (`order: 'asc'`: oldest
     * first), filtered by `account`, `asset`, `status`, `reference`, `since`, `until`.
     */
    list: (list: ListOptions<'/v1/withdrawals'> = {}, options?: ReadOptions): PageIterator<Withdrawal> =>
      this.#list('/v1/withdrawals', {}, list, options),
    /** The withdrawal with your `reference`, or null. */
    findByReference: async (reference: string, options?: ReadOptions): Promise<Withdrawal | null> =>
      (await this.#get<Page<Withdrawal>>('/v1/withdrawals', {}, { reference }, options)).data[0] ?? null,
    /** `GET /v1/accounts/{id}/withdrawals`: one account's withdrawals, newest first. */
    listByAccount: (
      accountId: string,
      list: ListOptions<'/v1/accounts/{id}/withdrawals'> = {},
      options?: ReadOptions,
    ): PageIterator<Withdrawal> => this.#list('/v1/accounts/{id}/withdrawals', { id: accountId }, list, options),
  };

  /**
   * `GET /v1/health`: how many instances of each service behind the gateway serve. A cluster that is not ready
   * answers `status: "unavailable"` (HTTP 503) rather than throwing.
   */
  async health(options?: ReadOptions): Promise<Health> {
    const target = requestTarget('/v1/health');
    return (await this.#transport.send<Health>({ method: 'GET', target, answerStatuses: [503] }, options)).data;
  }

  async #get<T>(template: string, params: Record<string, string>, query: Query, options: ReadOptions | undefined): Promise<T> {
    return (await this.#transport.send<T>({ method: 'GET', target: requestTarget(template, params, query) }, options)).data;
  }

  async #post<T>(template: string, params: Record<string, string>, body: object, options: CallOptions | undefined): Promise<T> {
    return (await this.#transport.send<T>({ method: 'POST', target: requestTarget(template, params), body }, options)).data;
  }

  #list<T>(template: string, params: Record<string, string>, list: object, options: ReadOptions | undefined): PageIterator<T> {
    const { cursor, limit, ...filters } = list as Query & { cursor?: string; limit?: number };
    return new PageIterator<T>(
      (pageCursor) => this.#get<Page<T>>(template, params, { ...filters, limit, cursor: pageCursor }, options),
      cursor,
    );
  }
}
