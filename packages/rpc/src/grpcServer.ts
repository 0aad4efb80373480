import { randomUUID } from 'node:crypto';
import { type Metadata, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { WalletError, toWalletError } from '@wallet/errors';
import { type Logger, requestIdPattern, runWithRequestId } from '@wallet/logger';
import { HealthImplementation } from 'grpc-health-check';
import { toGrpcError } from './errorMetadata.js';
import { type GrpcTls, serviceOf } from './GrpcTls.js';
import { type MethodCallers, mayCall } from './methodCallers.js';
import type { RequestOf, ResponseOf, UnaryServiceDefinition } from './serviceTypes.js';
import { statusName } from './statusName.js';

export type CallContext = {
  readonly method: string;
  /** The caller's `x-request-id` when well-formed, else a fresh one: the id of the request this call serves. */
  readonly requestId: string;
  readonly metadata: Metadata;
  /**
   * The calling service as its verified client certificate names it (`gatesrv`, `transrv`, ...) when the server runs
   * with mTLS; undefined over plaintext.
   */
  readonly peer: string | undefined;
  /** Logger bound to this call's method; its lines, like every line written while the call runs, carry the request id. */
  readonly log: Logger;
  /** Aborted when the client cancels or the deadline passes. */
  readonly signal: AbortSignal;
};

/** What a server or client reports of each finished call (metrics): the method's path, the status code's name, seconds. */
export type RpcObserver = (call: { readonly path: string; readonly code: string; readonly seconds: number }) => void;

export type GrpcServerOptions = {
  /** Told of every call served, once answered. */
  readonly observe?: RpcObserver;
};

/** Async handlers for every method of a generated service definition. */
export type ServiceHandlers<D extends UnaryServiceDefinition> = {
  readonly [K in keyof D]: (request: RequestOf<D[K]>, ctx: CallContext) => Promise<ResponseOf<D[K]>>;
};

/**
 * A gRPC server with the standard health service, async handlers whose thrown WalletErrors become
 * typed gRPC errors, per-method authorization of the caller's certificate identity (over mTLS), and a graceful
 * shutdown that drains in-flight calls. Each handler runs under its caller's request
 * id (runWithRequestId): every log line written and every gRPC call made while it runs carry it, and one line per call
 * (`msg: 'rpc'`: method, code, ms) shows the request reached this process.
 */
export class GrpcServer {
  readonly #server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  readonly #health = new HealthImplementation({ '': 'NOT_SERVING' });
  readonly #log: Logger;
  readonly #serviceNames: string[] = [];
  readonly #observe: RpcObserver | undefined;
  /** Whether it listens with mTLS: then every call is authorized by its caller's certificate; over plaintext none is. */
  #mtls = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;

  constructor(log: Logger, options: GrpcServerOptions = {}) {
    this.#log = log;
    this.#observe = options.observe;
    this.#health.addToServer(this.#server);
  }

  /**
   * Adds a service implemented by async handlers, each method open only to the callers `callers` lists for it.
   * Over mTLS a call from a caller the table does not list for the method (or whose certificate names no service, or
   * to a method the table lacks) is refused with PEER_NOT_ALLOWED before its handler runs, and logged with the peer
   * and the method. Over plaintext (no identity to check: an explicit opt-out, never in prod) every call is let through.
   * @param serviceName fully qualified proto name, e.g. `wallet.v1.TransService` (for health checks)
   * @param callers the service's authorization table
   * @throws Error when `callers` names a method the definition does not have (a typo would otherwise go unnoticed)
   */
  addService<D extends UnaryServiceDefinition>(
    serviceName: string,
    definition: D,
    handlers: ServiceHandlers<D>,
    callers: MethodCallers<D>,
  ): this {
    const unknown = Object.keys(callers).filter((name) => !Object.hasOwn(definition, name));
    if (unknown.length > 0) throw new Error(`authorization table of ${serviceName} names unknown methods: ${unknown.join(', ')}`);
    const impl: Record<string, (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void> = {};
    for (const name of Object.keys(definition)) {
      const handler = handlers[name] as (req: unknown, ctx: CallContext) => Promise<unknown>;
      const method = definition[name]?.path ?? name;
      impl[name] = (call, callback) => {
        const requestId = requestIdOf(call.metadata);
        const controller = new AbortController();
        call.on('cancelled', () => controller.abort());
        const subjectAltName = call.getAuthContext()?.sslPeerCertificate?.subjectaltname;
        const peer = serviceOf(subjectAltName);
        const log = this.#log.child(peer === undefined ? { method } : { method, peer });
        const allowed = !this.#mtls || mayCall(callers, name, peer);
        const started = performance.now();
        this.#inFlight++;
        void runWithRequestId(requestId, () =>
          (allowed
            ? handler(call.request, { method, requestId, metadata: call.metadata, peer, log, signal: controller.signal })
            : refuse(log, method, peer, subjectAltName)
          )
            .then(
              (response) => {
                log.info({ code: 'OK', ms: elapsedMs(started) }, 'rpc');
                callback(null, response);
                this.#observe?.({ path: method, code: 'OK', seconds: (performance.now() - started) / 1000 });
              },
              (error: unknown) => {
                const walletError = toWalletError(error);
                if (walletError.code === 'INTERNAL')
                  log.error({ err: walletError.cause ?? error, code: walletError.code, ms: elapsedMs(started) }, 'rpc');
                else log.info({ code: walletError.code, ms: elapsedMs(started) }, 'rpc');
                const grpcError = toGrpcError(walletError);
                callback(grpcError, null);
                this.#observe?.({ path: method, code: statusName(grpcError.code), seconds: (performance.now() - started) / 1000 });
              },
            )
            .finally(() => {
              this.#inFlight--;
              if (this.#inFlight === 0) this.#idle?.();
            }),
        );
      };
    }
    this.#server.addService(definition, impl);
    this.#serviceNames.push(serviceName);
    return this;
  }

  /**
   * Binds and starts serving; marks every service SERVING.
   * @param address `host:port`; port 0 picks a free port
   * @param tls mTLS (every caller must present a certificate from its CA), or undefined for plaintext: an explicit
   * choice at every listen, so that no server is plaintext by omission
   * @returns the bound `host:port`
   */
  async listen(address: string, tls: GrpcTls | undefined): Promise<string> {
    const host = address.slice(0, address.lastIndexOf(':'));
    // Before binding: a call that arrives as soon as the port is open is authorized already.
    this.#mtls = tls !== undefined;
    const port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(address, tls?.serverCredentials() ?? ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      );
    });
    this.#health.setStatus('', 'SERVING');
    for (const name of this.#serviceNames) this.#health.setStatus(name, 'SERVING');
    return `${host}:${port}`;
  }

  /** Stops accepting calls, waits for in-flight calls up to `graceMs`, then closes. */
  async close(graceMs: number): Promise<void> {
    this.#health.setStatus('', 'NOT_SERVING');
    for (const name of this.#serviceNames) this.#health.setStatus(name, 'NOT_SERVING');
    const drained = new Promise<void>((resolve) => {
      if (this.#inFlight === 0) resolve();
      else this.#idle = resolve;
    });
    const shutdown = new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
    const timer = setTimeout(() => this.#server.forceShutdown(), graceMs);
    await Promise.all([drained, shutdown]);
    clearTimeout(timer);
  }
}

/** A call its caller may not make: one warning naming who tried what, and PEER_NOT_ALLOWED (nothing was done). */
async function refuse(log: Logger, method: string, peer: string | undefined, subjectAltName: string | undefined): Promise<never> {
  // Without a service name the certificate's own names say who it was (issued by the CA, for something else).
  log.warn({ peer: peer ?? null, subjectAltName: subjectAltName ?? null, code: 'PEER_NOT_ALLOWED' }, 'rpc refused: peer not allowed');
  throw new WalletError('PEER_NOT_ALLOWED', `${peer ?? 'a caller without a service name'} may not call ${method}`, {
    details: { method, ...(peer === undefined ? {} : { peer }) },
  });
}

/** The caller's request id if it is well-formed; otherwise (absent, or not an id) a fresh one, the bad one dropped. */
function requestIdOf(metadata: Metadata): string {
  const [value] = metadata.get('x-request-id');
  return typeof value === 'string' && requestIdPattern.test(value) ? value : randomUUID();
}

const elapsedMs = (started: number): number => Math.round((performance.now() - started) * 10) / 10;
