import { WalletError, isWalletError, toWalletError } from '@wallet/errors';
import { validationFailed } from './parseInput.js';

/**
 * Maps anything a route or the framework threw onto a registry error whose message never echoes the request
 * (fastify's own messages quote paths and header values). VALIDATION_FAILED always has the `issues` shape.
 * @param error what was thrown
 * @returns the error to answer with
 */
export function toEdgeError(error: unknown): WalletError {
  if (isWalletError(error)) return isWalletError(error, 'VALIDATION_FAILED') ? withIssues(error) : error;
  const e = error as { code?: unknown; statusCode?: unknown };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new WalletError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? new WalletError('UNSUPPORTED_MEDIA_TYPE')
        : validationFailed([{ field: 'headers.content-length', message: 'does not match the body' }]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new WalletError('URI_TOO_LONG');
    case 'FST_ERR_BAD_URL':
      return validationFailed([{ field: 'url', message: 'not a valid URL' }]);
    default:
      break;
  }
  if (typeof e.code === 'string' && e.code.startsWith('FST_') && typeof e.statusCode === 'number' && e.statusCode < 500) {
    return validationFailed([{ field: 'request', message: 'malformed request' }]);
  }
  if (isRedisUnreachable(error))
    return new WalletError('UNAVAILABLE', 'a store this request needs is unreachable; retry', { cause: error });
  return toWalletError(error);
}

/**
 * Whether ioredis gave up on a command because Redis could not be reached: its retries for the command ran out while
 * the connection was down (`MaxRetriesPerRequestError`), or the connection was closed for good. The edges use Redis
 * before a request takes effect (nonces, rate limits, the Idempotency-Key claim, the routing cache) and never after
 * it without catching (the kept answer is saved best-effort), so nothing was done: a retryable 503, not a 500 (the
 * chaos campaign's Redis restarts found gatesrv answering INTERNAL here).
 */
function isRedisUnreachable(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown };
  return e.name === 'MaxRetriesPerRequestError' || e.message === 'Connection is closed.';
}

/** Older call sites say `{field}`; clients get one shape: `{issues: [{field, message}]}`. */
function withIssues(error: WalletError<'VALIDATION_FAILED'>): WalletError {
  if (Array.isArray(error.details['issues'])) return error;
  const field = typeof error.details['field'] === 'string' ? error.details['field'] : 'request';
  const { field: _field, ...rest } = error.details;
  return new WalletError('VALIDATION_FAILED', error.message, {
    details: { ...rest, issues: [{ field, message: error.message }] },
    cause: error,
  });
}
