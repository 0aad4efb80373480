import type { components, paths } from './generated/api.js';

// The API's objects, named as in docs/api.md, straight from the generated OpenAPI types: the SDK cannot drift from
// the gateway (src/generated/apiTypes.test.ts).
type Schemas = components['schemas'];

export type Asset = Schemas['Asset'];
export type Account = Schemas['Account'];
export type Balance = Schemas['Balance'];
export type Address = Schemas['Address'];
export type Deposit = Schemas['Deposit'];
export type DepositStatus = Schemas['DepositStatus'];
export type LedgerEntry = Schemas['LedgerEntry'];
export type LedgerBucket = Schemas['LedgerBucket'];
export type Transfer = Schemas['Transfer'];
export type TransferStatus = Schemas['TransferStatus'];
export type Withdrawal = Schemas['Withdrawal'];
export type WithdrawalStatus = Schemas['WithdrawalStatus'];
export type LedgerKind = Schemas['LedgerKind'];
export type ChainKind = Schemas['ChainKind'];
export type Network = Schemas['Network'];
export type Health = Schemas['HealthDetail'];
/** An account's proof of reserves; verify it as docs/reserves.md says (or with `@wallet/reserves`). */
export type ReservesProof = Schemas['ReservesProof'];
export type ReservesProofStep = Schemas['ReservesProofStep'];

export type CreateAccountRequest = Schemas['CreateAccountRequest'];
export type CreateAddressRequest = Schemas['CreateAddressRequest'];
/** `amount` may be given as a bigint (sent as its decimal string). */
export type CreateTransferRequest = WithBigintAmount<Schemas['CreateTransferRequest']>;
/** `amount` may be given as a bigint (sent as its decimal string). */
export type CreateWithdrawalRequest = WithBigintAmount<Schemas['CreateWithdrawalRequest']>;

type WithBigintAmount<T> = { [K in keyof T]: K extends 'amount' ? T[K] | bigint : T[K] };

/** The query a GET route declares in the OpenAPI document. */
type QueryOf<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

/** Time filters may be given as Dates (sent as ISO-8601 UTC with milliseconds). */
type Filters<Q> = { [K in keyof Q]: K extends 'since' | 'until' ? Q[K] | Date : Q[K] };

/**
 * A list's options: the route's filters as the document declares them, the page size, and a `nextCursor` kept from
 * earlier to resume from.
 */
export type ListOptions<P extends keyof paths> = Filters<Omit<QueryOf<P>, 'limit' | 'cursor'>> & {
  /** Items per page, 1-200. @default 50 (the gateway's) */
  readonly limit?: number;
  /** Start from this page (a `nextCursor`) instead of the first. */
  readonly cursor?: string;
};
