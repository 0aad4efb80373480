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
 * Turns anything thrown into a WalletError: WalletErrors pass through; a connection lost under the request (see
 * {@link isConnectionLost}) becomes a retryable TIMEOUT, since whatever it carried may or may not have taken effect;
 * everything else becomes INTERNAL. The original is kept as `cause` (its message is not shown to clients).
 */
export function toWalletError(error: unknown): WalletError {
  if (isWalletError(error)) return error;
  if (isConnectionLost(error)) {
    return new WalletError('TIMEOUT', 'a connection the request needed was lost: its outcome is unknown; retry with the same key', {
      details: { reason: 'connection_lost' },
      cause: error,
    });
  }
  return new WalletError('INTERNAL', undefined, { cause: error });
}

/**
 * Whether `error` says a connection to a store was lost under a request (the database killed the session, restarted,
 * or the network dropped it): mysql2 marks such errors `fatal` (and a failed statement's transaction then fails with
 * knex's failed ROLLBACK, "Can't add new command when connection is in closed state", also `fatal`); socket codes;
 * MariaDB's numbers for a killed session or a server gone. The chaos campaign's `mysql-kill` found these answered 500.
 */
export function isConnectionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { fatal?: unknown; code?: unknown; errno?: unknown };
  if (e.fatal === true) return true;
  if (typeof e.code === 'string' && LOST_CODES.has(e.code)) return true;
  return typeof e.errno === 'number' && LOST_ERRNOS.has(e.errno);
}

const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT']);
const LOST_ERRNOS = new Set([
  1927, // ER_CONNECTION_KILLED (MariaDB): the session was killed
  1053, // ER_SERVER_SHUTDOWN
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
]);
