import { GrpcStatus } from './grpcStatus.js';

export type ErrorSpec = {
  /** HTTP status the gateway answers with. */
  readonly http: number;
  /** gRPC status a service answers with; the stable code itself travels in metadata. */
  readonly grpc: GrpcStatus;
  /** Whether the same request may succeed if simply retried later. */
  readonly retryable: boolean;
  /** One line for API docs and operators. */
  readonly description: string;
};

/**
 * The one table of stable error codes. Codes are part of the public HTTP contract (docs/api.md):
 * add codes freely, never rename or remove one.
 */
export const errorRegistry = {
  VALIDATION_FAILED: {
    http: 400,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The request is malformed: a field is missing, unknown, of the wrong type or out of range.',
  },
  UNAUTHENTICATED: {
    http: 401,
    grpc: GrpcStatus.UNAUTHENTICATED,
    retryable: false,
    description: 'The request signature, key, timestamp or nonce is missing or not valid.',
  },
  FORBIDDEN: {
    http: 403,
    grpc: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
    description: 'The principal may not do this: its role does not allow it, or the CSRF token of a state change is missing or wrong.',
  },
  INSUFFICIENT_SCOPE: {
    http: 403,
    grpc: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
    description: 'The API key is valid but lacks the scope this route needs (`details.required`); nothing was done.',
  },
  SOURCE_NOT_ALLOWED: {
    http: 403,
    grpc: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
    description: "The API key is valid but the request came from an address outside the key's allow-list; nothing was done.",
  },
  NOT_FOUND: {
    http: 404,
    grpc: GrpcStatus.NOT_FOUND,
    retryable: false,
    description: 'No such object for this client.',
  },
  ACCOUNT_NOT_FOUND: {
    http: 404,
    grpc: GrpcStatus.NOT_FOUND,
    retryable: false,
    description: 'No such account for this client.',
  },
  RESERVES_PROOF_NOT_FOUND: {
    http: 404,
    grpc: GrpcStatus.NOT_FOUND,
    retryable: false,
    description:
      'No proof of reserves for this account and asset: no report of the asset yet (`details.reason` `no_report`), or the latest one has no leaf for the account (`no_leaf`).',
  },
  IDEMPOTENCY_IN_PROGRESS: {
    http: 409,
    grpc: GrpcStatus.ABORTED,
    retryable: true,
    description: 'A request with this Idempotency-Key is still being processed; retry later.',
  },
  WITHDRAWAL_NOT_CANCELLABLE: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'The withdrawal has left pending_review and can no longer be cancelled.',
  },
  RED_PACKET_ALREADY_CLAIMED: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'This account has already claimed its share of the red packet (details.amount): each account claims once.',
  },
  RED_PACKET_EMPTY: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'Every share of the red packet has been claimed: nothing was moved.',
  },
  RED_PACKET_EXPIRED: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'The red packet has expired (details.expiresAt): what nobody claimed went back to the sender.',
  },
  DUPLICATE_REFERENCE: {
    http: 409,
    grpc: GrpcStatus.ALREADY_EXISTS,
    retryable: false,
    description: 'Another withdrawal (or transfer) of this client already has this reference: nothing was done.',
  },
  CONFLICT: {
    http: 409,
    grpc: GrpcStatus.ABORTED,
    retryable: true,
    description: 'A concurrent change won; re-read and retry.',
  },
  WITHDRAWAL_NOT_REVIEWABLE: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'The withdrawal is not awaiting review (already decided, cancelled, or not yet received by signsrv).',
  },
  WITHDRAWAL_NOT_VOIDABLE: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'Only an approved withdrawal of which no transaction was ever signed can be voided.',
  },
  INTEGRITY_MISMATCH: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'The withdrawal does not match its localhash (altered in storage or in transit); it will not be signed.',
  },
  APPROVAL_STALE: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description:
      'The withdrawal differs from the one the approver reviewed (another localhash): the approval is not recorded; review it again.',
  },
  ALREADY_APPROVED: {
    http: 409,
    grpc: GrpcStatus.ALREADY_EXISTS,
    retryable: false,
    description: 'This approver has already approved the withdrawal: the next approval must come from someone else.',
  },
  DESTINATION_NOT_WHITELISTED: {
    http: 422,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description:
      "The asset's policy requires a whitelisted destination and this one is not on the client's whitelist, or still in its cooling-off (details.state, details.usableAt).",
  },
  SIGNING_PAUSED: {
    http: 503,
    grpc: GrpcStatus.UNAVAILABLE,
    retryable: true,
    description: 'An admin has paused all signing (the kill switch): nothing is signed until it is released.',
  },
  LIMIT_EXCEEDED: {
    http: 422,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'Approving would exceed a per-withdrawal or daily withdrawal limit of the asset.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    http: 422,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'This Idempotency-Key was already used with a different request body.',
  },
  INSUFFICIENT_FUNDS: {
    http: 422,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'The available balance does not cover the amount (and fee).',
  },
  INVALID_ADDRESS: {
    http: 422,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The address is not valid for the chain (format or checksum).',
  },
  INVALID_DESTINATION: {
    http: 422,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The destination cannot receive a withdrawal: the zero address, a precompile, or an address the wallet itself operates.',
  },
  AMOUNT_TOO_SMALL: {
    http: 422,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: "The amount is below the asset's minimum.",
  },
  UNSUPPORTED_ASSET: {
    http: 422,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The asset is not configured in this wallet.',
  },
  UNSUPPORTED_CHAIN: {
    http: 422,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The chain is not configured in this wallet, or no scanner watches it (details.reason not_scanned).',
  },
  PAYLOAD_TOO_LARGE: {
    http: 413,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The request body exceeds the size limit.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    http: 415,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'A request with a body must send it as JSON: Content-Type application/json (UTF-8).',
  },
  URI_TOO_LONG: {
    http: 414,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The request target (path and query) is longer than the server accepts.',
  },
  HEADERS_TOO_LARGE: {
    http: 431,
    grpc: GrpcStatus.INVALID_ARGUMENT,
    retryable: false,
    description: 'The request line and headers together are larger than the server accepts.',
  },
  REQUEST_TIMEOUT: {
    http: 408,
    grpc: GrpcStatus.DEADLINE_EXCEEDED,
    retryable: true,
    description: 'The client did not finish sending its request in time; nothing was done.',
  },
  RATE_LIMITED: {
    http: 429,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: true,
    description: 'Too many requests for this API key, or too many failed authentications from this address; wait for Retry-After seconds.',
  },
  TOO_MANY_ATTEMPTS: {
    http: 429,
    grpc: GrpcStatus.RESOURCE_EXHAUSTED,
    retryable: true,
    description:
      'Too many failed sign-in attempts for this user or from this address: refused without checking the credentials until details.retryAfterSeconds have passed (a locked user: until an admin unlocks it or the lockout ends).',
  },
  SHARD_UNAVAILABLE: {
    http: 503,
    grpc: GrpcStatus.UNAVAILABLE,
    retryable: true,
    description: 'The transrv node that owns the account is down; the request was not sent anywhere else.',
  },
  UNAVAILABLE: {
    http: 503,
    grpc: GrpcStatus.UNAVAILABLE,
    retryable: true,
    description: 'A service this request depends on is unreachable, or the service itself is not ready yet (starting up); retry later.',
  },
  TIMEOUT: {
    http: 504,
    grpc: GrpcStatus.DEADLINE_EXCEEDED,
    retryable: true,
    description: 'A service did not answer in time; the request may or may not have been applied: retry it with the same Idempotency-Key.',
  },
  CLIENT_DISABLED: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: true,
    description: "The withdrawal's client is disabled: it is not signed until ops enable the client again.",
  },
  FENCED: {
    http: 409,
    grpc: GrpcStatus.FAILED_PRECONDITION,
    retryable: false,
    description: 'A write carried a stale leadership fencing token and was refused.',
  },
  CONFIG_INVALID: {
    http: 500,
    grpc: GrpcStatus.INTERNAL,
    retryable: false,
    description: 'A configuration value is missing or not valid (process start-up).',
  },
  PEER_NOT_ALLOWED: {
    http: 500,
    grpc: GrpcStatus.PERMISSION_DENIED,
    retryable: false,
    description:
      "Between services: the caller's certificate names a service the method's authorization table does not allow (`details.method`, `details.peer`); nothing was done. Through the gateway it means the cluster's own configuration is wrong.",
  },
  SECRET_UNREADABLE: {
    http: 500,
    grpc: GrpcStatus.INTERNAL,
    retryable: false,
    description:
      'A secret stored encrypted (an API key or webhook secret) does not open: its key-encryption key is not loaded, or it was altered or copied from another row.',
  },
  INTERNAL: {
    http: 500,
    grpc: GrpcStatus.INTERNAL,
    retryable: false,
    description: 'An unexpected error; it is logged with the request id.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorRegistry;

export const errorCodes = Object.keys(errorRegistry) as ErrorCode[];

/** Whether `value` is one of the registry's stable codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorRegistry, value);
}
