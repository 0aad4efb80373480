/** Why an input to the sum tree was refused. Branch on `code`, never on the message. */
export type ReservesErrorCode =
  | 'EMPTY_TREE'
  | 'NEGATIVE_BALANCE'
  | 'BALANCE_TOO_LARGE'
  | 'TOTAL_TOO_LARGE'
  | 'INVALID_COMMITMENT'
  | 'INVALID_SALT'
  | 'INVALID_ACCOUNT_ID'
  | 'LEAF_INDEX_OUT_OF_RANGE';

/**
 * A refused input of this package. It stands alone (no dependency on the services' error registry) so an outside
 * client can use the verifier as it is; the services map it to their own codes where it can reach a client.
 */
export class ReservesError extends Error {
  override readonly name = 'ReservesError';
  readonly code: ReservesErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ReservesErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** Whether `e` is a {@link ReservesError} (by its name, so it holds across copies of this package). */
export function isReservesError(e: unknown): e is ReservesError {
  return e instanceof Error && e.name === 'ReservesError' && typeof (e as { code?: unknown }).code === 'string';
}
