import type { components } from './generated/api.js';

/** The stable error codes of the API (docs/errors.md), as the OpenAPI document lists them. */
export type ApiErrorCode = components['schemas']['Error']['error']['code'];

/**
 * Codes the SDK itself gives when there is no API answer to report: `NETWORK_ERROR` (no answer at all: connection
 * refused or reset, DNS, the per-attempt timeout) and `INVALID_RESPONSE` (an answer that is not the API's: not JSON,
 * no error envelope, a redirect).
 */
export type SdkErrorCode = 'NETWORK_ERROR' | 'INVALID_RESPONSE';

/** A code to branch on; a server newer than this SDK may send a code it does not list yet. */
export type ErrorCode = ApiErrorCode | SdkErrorCode | (string & {});

type WalletApiErrorInit = {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly requestId?: string | null;
  readonly idempotencyKey?: string | null;
  readonly attempts: number;
  readonly cause?: unknown;
};

/**
 * What every failed call throws, after the retries it was allowed. Branch on `code` (and `details.reason` where the
 * API gives one), never on `message`.
 */
export class WalletApiError extends Error {
  override readonly name = 'WalletApiError';
  /** HTTP status of the answer; 0 when there was none (`NETWORK_ERROR`). */
  readonly status: number;
  readonly code: ErrorCode;
  /** The error's `details` object (for `VALIDATION_FAILED`: `{issues: [{field, message}]}`). */
  readonly details: Readonly<Record<string, unknown>>;
  /** The gateway's `X-Request-Id` of the last attempt: quote it to the wallet's operators. */
  readonly requestId: string | null;
  /** The Idempotency-Key every attempt of this POST carried: retry with it after an unknown outcome. */
  readonly idempotencyKey: string | null;
  /** How many times the request was sent. */
  readonly attempts: number;

  constructor(init: WalletApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? null;
    this.idempotencyKey = init.idempotencyKey ?? null;
    this.attempts = init.attempts;
  }
}

/**
 * Whether `error` is a {@link WalletApiError}, optionally with one of `codes`. Works across copies of the SDK
 * (it checks the name, not the class).
 * @param error anything caught
 * @param codes the codes to accept; any code when absent
 */
export function isWalletApiError(error: unknown, ...codes: ErrorCode[]): error is WalletApiError {
  if (!(error instanceof Error) || error.name !== 'WalletApiError') return false;
  return codes.length === 0 || codes.includes((error as WalletApiError).code);
}
