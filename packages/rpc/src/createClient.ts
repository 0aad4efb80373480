import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Metadata, type ServiceError, credentials, status } from '@grpc/grpc-js';
import { WalletError, isWalletError } from '@wallet/errors';
import { currentRequestId } from '@wallet/logger';
import { HealthCheckResponse_ServingStatus, HealthService } from '@wallet/proto';
import type { ClientTls } from './GrpcTls.js';
import { ERROR_METADATA_KEY, fromGrpcError, mayHaveBeenSent } from './errorMetadata.js';
import { type RetryPolicy, backoffMs, defaultRetryPolicy } from './retryPolicy.js';
import type { RpcObserver } from './grpcServer.js';
import type { HealthStatus } from './healthCheck.js';
import type { RequestOf, ResponseOf, UnaryServiceDefinition } from './serviceTypes.js';
import { statusName } from './statusName.js';

export type CallOptions = {
  /** Per-call deadline in ms (covers retries). */
  readonly timeoutMs?: number;
  /**
   * Request id propagated to the server's logs (metadata `x-request-id`).
   * @default the current request's ({@link currentRequestId}): a call made while a request is handled carries its id
   */
  readonly requestId?: string;
};

/** A promise-returning, fully typed client for one generated service definition. */
export type PromiseClient<D extends UnaryServiceDefinition> = {
  readonly [K in keyof D]: (request: RequestOf<D[K]>, options?: CallOptions) => Promise<ResponseOf<D[K]>>;
} & {
  /** The address this client talks to. */
  readonly address: string;
  /**
   * Asks the peer's standard gRPC health service over this client's own channel (no new connection): one attempt,
   * never retried, never throws.
   * @param options.service fully qualified service name; '' for the whole server @default ''
   * @param options.timeoutMs @default 1000
   * @returns UNREACHABLE when the check fails for any reason (closed client, transport, deadline)
   */
  checkHealth(options?: { readonly service?: string; readonly timeoutMs?: number }): Promise<HealthStatus>;
  /**
   * Stops taking calls (a later call fails with UNAVAILABLE, not sent) and closes the channel once the calls in
   * flight have settled: a call that was sent is answered or runs into its deadline, never cut off by the close.
   */
  close(): void;
};

export type ClientOptions = {
  /** Used in error messages, e.g. `transrv t1`. */
  readonly target?: string;
  /** @default 5000 */
  readonly defaultTimeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** Told of every call once settled (retries included), with the status code it ended with. */
  readonly observe?: RpcObserver;
  /**
   * mTLS to the service this address belongs to ({@link GrpcTls.clientOf}).
   * @default plaintext (loopback tests, and clusters without GRPC_TLS_* files; refused in prod by the config)
   */
  readonly tls?: ClientTls | undefined;
};

/**
 * Creates a typed promise client over an mTLS channel when `options.tls` is given, else a plaintext one.
 * Errors come back as the WalletError the server threw (see {@link fromGrpcError}).
 * @param definition a generated `*Service` definition, e.g. `TransServiceService`
 * @param address `host:port`
 */
export function createClient<D extends UnaryServiceDefinition>(
  definition: D,
  address: string,
  options: ClientOptions = {},
): PromiseClient<D> {
  const target = options.target ?? address;
  const policy = options.retry ?? defaultRetryPolicy;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
  const client = new Client(address, options.tls?.credentials ?? credentials.createInsecure(), {
    ...options.tls?.channelOptions,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 5_000,
    // Fail fast when the peer is gone, instead of queueing calls until the deadline.
    'grpc.enable_retries': 0,
  });

  let closing = false;
  let inFlight = 0;
  const settled = (): void => {
    inFlight--;
    if (closing && inFlight === 0) client.close();
  };

  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    methods[name] = async (request: unknown, callOptions: CallOptions = {}) => {
      if (closing) throw new WalletError('UNAVAILABLE', `${target} is unreachable (client closed)`, { details: { grpcStatus: 'NONE' } });
      inFlight++;
      const started = performance.now();
      let code = 'OK';
      try {
        return await call(method, request, callOptions);
      } catch (error) {
        code = endStatus(error);
        throw error;
      } finally {
        settled();
        options.observe?.({ path: method.path, code, seconds: (performance.now() - started) / 1000 });
      }
    };
  }

  async function call(method: UnaryServiceDefinition[string], request: unknown, callOptions: CallOptions): Promise<unknown> {
    const deadline = Date.now() + (callOptions.timeoutMs ?? defaultTimeoutMs);
    const requestId = callOptions.requestId ?? currentRequestId();
    /** Whether an earlier attempt may have reached the peer: then a later failure's outcome is unknown too. */
    let sentBefore = false;
    for (let attempt = 1; ; attempt++) {
      let started = false;
      try {
        return await new Promise((resolve, reject) => {
          const metadata = new Metadata();
          if (requestId !== undefined) metadata.set('x-request-id', requestId);
          // Throws at once ("Channel has been shut down") if the channel is closed: nothing was sent by this attempt.
          client.makeUnaryRequest(
            method.path,
            method.requestSerialize,
            method.responseDeserialize,
            request,
            metadata,
            { deadline },
            (error: ServiceError | null, response?: unknown) => (error ? reject(error) : resolve(response)),
          );
          started = true;
        });
      } catch (error) {
        if (!started) {
          const notStarted = Object.assign(error as ServiceError, { code: status.UNAVAILABLE, metadata: new Metadata() });
          throw fromGrpcError(notStarted, target, sentBefore);
        }
        const e = error as ServiceError;
        const hasWalletCode = e.metadata?.get(ERROR_METADATA_KEY).length > 0;
        sentBefore ||= mayHaveBeenSent(e);
        const canRetry =
          !hasWalletCode &&
          attempt < policy.maxAttempts &&
          policy.retryableStatuses.includes(e.code) &&
          Date.now() + backoffMs(policy, attempt + 1) < deadline;
        if (!canRetry) throw fromGrpcError(e, target, sentBefore);
        await sleep(backoffMs(policy, attempt + 1));
      }
    }
  }

  /** The status a failed call ended with: the peer's, a transport failure's, or UNAVAILABLE when nothing was sent. */
  function endStatus(error: unknown): string {
    if (!isWalletError(error)) return 'UNKNOWN';
    const transport = error.details['grpcStatus'];
    if (transport === 'NONE') return 'UNAVAILABLE';
    return typeof transport === 'string' ? transport : statusName(error.grpcStatus);
  }

  function checkHealth(checkOptions: { readonly service?: string; readonly timeoutMs?: number } = {}): Promise<HealthStatus> {
    if (closing) return Promise.resolve('UNREACHABLE');
    const method = HealthService.check;
    return new Promise<HealthStatus>((resolve) => {
      try {
        client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          { service: checkOptions.service ?? '' },
          new Metadata(),
          { deadline: Date.now() + (checkOptions.timeoutMs ?? 1000) },
          (error: ServiceError | null, response?: { status: HealthCheckResponse_ServingStatus }) =>
            resolve(error ? 'UNREACHABLE' : response?.status === HealthCheckResponse_ServingStatus.SERVING ? 'SERVING' : 'NOT_SERVING'),
        );
      } catch {
        resolve('UNREACHABLE');
      }
    });
  }

  return Object.assign(methods, {
    address,
    checkHealth,
    close: () => {
      if (closing) return;
      closing = true;
      if (inFlight === 0) client.close();
    },
  }) as PromiseClient<D>;
}
