import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Metadata, type ServiceError, credentials } from '@grpc/grpc-js';
import { ERROR_METADATA_KEY, fromGrpcError } from './errorMetadata.js';
import { type RetryPolicy, backoffMs, defaultRetryPolicy } from './retryPolicy.js';
import type { RequestOf, ResponseOf, UnaryServiceDefinition } from './serviceTypes.js';

export type CallOptions = {
  /** Per-call deadline in ms (covers retries). */
  readonly timeoutMs?: number;
  /** Request id propagated to the server's logs. */
  readonly requestId?: string;
};

/** A promise-returning, fully typed client for one generated service definition. */
export type PromiseClient<D extends UnaryServiceDefinition> = {
  readonly [K in keyof D]: (request: RequestOf<D[K]>, options?: CallOptions) => Promise<ResponseOf<D[K]>>;
} & {
  /** The address this client talks to. */
  readonly address: string;
  /** Closes the channel; pending calls fail. */
  close(): void;
};

export type ClientOptions = {
  /** Used in error messages, e.g. `transrv t1`. */
  readonly target?: string;
  /** @default 5000 */
  readonly defaultTimeoutMs?: number;
  readonly retry?: RetryPolicy;
};

/**
 * Creates a typed promise client over an insecure (loopback / private network) channel.
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
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 5_000,
    // Fail fast when the peer is gone, instead of queueing calls until the deadline.
    'grpc.enable_retries': 0,
  });

  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    methods[name] = async (request: unknown, callOptions: CallOptions = {}) => {
      const deadline = Date.now() + (callOptions.timeoutMs ?? defaultTimeoutMs);
      for (let attempt = 1; ; attempt++) {
        try {
          return await new Promise((resolve, reject) => {
            const metadata = new Metadata();
            if (callOptions.requestId !== undefined) metadata.set('x-request-id', callOptions.requestId);
            client.makeUnaryRequest(
              method.path,
              method.requestSerialize,
              method.responseDeserialize,
              request,
              metadata,
              { deadline },
              (error: ServiceError | null, response?: unknown) => (error ? reject(error) : resolve(response)),
            );
          });
        } catch (error) {
          const e = error as ServiceError;
          const hasWalletCode = e.metadata?.get(ERROR_METADATA_KEY).length > 0;
          const canRetry =
            !hasWalletCode &&
            attempt < policy.maxAttempts &&
            policy.retryableStatuses.includes(e.code) &&
            Date.now() + backoffMs(policy, attempt + 1) < deadline;
          if (!canRetry) throw fromGrpcError(e, target);
          await sleep(backoffMs(policy, attempt + 1));
        }
      }
    };
  }
  return Object.assign(methods, {
    address,
    close: () => client.close(),
  }) as PromiseClient<D>;
}
