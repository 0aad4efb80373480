import { type ErrorCode, errorRegistry, isErrorCode } from './errorRegistry.js';

export type ErrorDetails = Readonly<Record<string, unknown>>;

/**
 * The one error type that crosses package and process boundaries. Branch on `code`, never on
 * `instanceof`: errors rebuilt from gRPC metadata or loaded twice through different module graphs are
 * still recognised by {@link isWalletError}.
 */
export class WalletError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'WalletError' as const;
  readonly code: C;
  readonly details: ErrorDetails;

  /**
   * @param code stable code from the registry
   * @param message short, safe for clients (never secrets)
   * @param options details (safe for clients) and cause (logged only)
   */
  constructor(code: C, message?: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message ?? errorRegistry[code].description, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get retryable(): boolean {
    return errorRegistry[this.code].retryable;
  }

  get httpStatus(): number {
    return errorRegistry[this.code].http;
  }

  get grpcStatus(): number {
    return errorRegistry[this.code].grpc;
  }

  /** The HTTP error body of docs/api.md. */
  toJSON(): { error: { code: C; message: string; details: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/**
 * Whether `error` is a {@link WalletError} (structurally, not by prototype).
 * @param error anything thrown
 * @param code when given, also require this code
 */
export function isWalletError<C extends ErrorCode>(error: unknown, code?: C): error is WalletError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'WalletError' && isErrorCode(e.code) && (code === undefined || e.code === code);
}

/**
 * Turns anything thrown into a WalletError: WalletErrors pass through, everything else becomes INTERNAL
 * with the original as `cause` (its message is not shown to clients).
 */
export function toWalletError(error: unknown): WalletError {
  if (isWalletError(error)) return error;
  return new WalletError('INTERNAL', undefined, { cause: error });
}
