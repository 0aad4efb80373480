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
 * Turns a gRPC client error back into the same typed WalletError the server threw. Errors without
 * wallet metadata (transport failures, deadlines) become UNAVAILABLE or INTERNAL.
 */
export function fromGrpcError(error: ServiceError, target: string): WalletError {
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
  if (error.code === status.DEADLINE_EXCEEDED) {
    // Not "unavailable": the peer may have done the work. Callers retry with the same idempotency key.
    return new WalletError('TIMEOUT', `${target} did not answer in time`, { details: { grpcStatus: 'DEADLINE_EXCEEDED' }, cause: error });
  }
  if (error.code === status.UNAVAILABLE || error.code === status.CANCELLED) {
    return new WalletError('UNAVAILABLE', `${target} is unreachable`, {
      details: { grpcStatus: status[error.code] },
      cause: error,
    });
  }
  return new WalletError('INTERNAL', undefined, { cause: error });
}
