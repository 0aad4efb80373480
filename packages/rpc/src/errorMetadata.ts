import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { type ErrorDetails, WalletError, isErrorCode } from '@wallet/errors';

/** Trailing-metadata key that carries `{code, message, details}` of a WalletError across gRPC. */
export const ERROR_METADATA_KEY = 'wallet-error';

/**
 * Builds the gRPC status object a server returns for a WalletError: the status from the registry, the
 * message as status details, and the stable code with details as JSON in trailing metadata.
 */
export function toGrpcError(error: WalletError): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(ERROR_METADATA_KEY, JSON.stringify({ code: error.code, message: error.message, details: error.details }));
  return { code: error.grpcStatus, details: error.message, metadata };
}

/**
 * Whether a failed call may have reached the peer. Only a call that never had a connection surely did not
 * (grpc-js: "No connection established", "Name resolution failed"); a connection that dropped, a deadline or a
 * cancellation leaves the outcome unknown.
 */
export function mayHaveBeenSent(error: ServiceError): boolean {
  if (error.code !== status.UNAVAILABLE) return true;
  return !/^(No connection established|Name resolution failed)/.test(error.details ?? '');
}

/**
 * Turns a gRPC client error back into the same typed WalletError the server threw. An error without wallet
 * metadata is a transport failure (a wallet server puts a code on every error it returns): TIMEOUT when the
 * request may have been applied (the caller retries with the same idempotency key), UNAVAILABLE when it surely
 * was not sent. Never INTERNAL: a 500 would tell a caller that a request which may have been applied failed.
 * @param sent whether the request may have reached the peer @default {@link mayHaveBeenSent}(error)
 */
export function fromGrpcError(error: ServiceError, target: string, sent = mayHaveBeenSent(error)): WalletError {
  const raw = error.metadata?.get(ERROR_METADATA_KEY)[0];
  if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw) as { code?: unknown; message?: unknown; details?: unknown };
      if (isErrorCode(parsed.code)) {
        const details = typeof parsed.details === 'object' && parsed.details !== null ? (parsed.details as ErrorDetails) : {};
        return new WalletError(parsed.code, typeof parsed.message === 'string' ? parsed.message : undefined, { details });
      }
    } catch {
      // fall through: a peer that sent garbage metadata is treated like one that sent none
    }
  }
  const grpcStatus = typeof error.code === 'number' ? (status[error.code] ?? String(error.code)) : 'NONE';
  if (!sent) {
    return new WalletError('UNAVAILABLE', `${target} is unreachable`, { details: { grpcStatus }, cause: error });
  }
  // Not "unavailable": the peer may have done the work. Callers retry with the same idempotency key.
  const message = error.code === status.DEADLINE_EXCEEDED ? `${target} did not answer in time` : `${target}: the call's outcome is unknown`;
  return new WalletError('TIMEOUT', message, { details: { grpcStatus }, cause: error });
}
