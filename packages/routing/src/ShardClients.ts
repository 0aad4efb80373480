import type { Discovery, Instance, ServiceWatch } from '@wallet/discovery';
import { WalletError } from '@wallet/errors';
import { TransServiceService } from '@wallet/proto';
import { type ClientTls, type GrpcTls, type HealthStatus, type PromiseClient, type RpcObserver, createClient } from '@wallet/rpc';

export type TransClient = PromiseClient<typeof TransServiceService>;

/**
 * gRPC clients for the live transrv nodes, by node id, kept current from etcd. A request for an
 * account goes to the node that owns it or nowhere: when that node is not live the answer is
 * SHARD_UNAVAILABLE, never another node.
 */
export class ShardClients {
  readonly #watch: ServiceWatch;
  readonly #clients = new Map<string, { address: string; client: TransClient }>();
  readonly #timeoutMs: number;
  readonly #tls: ClientTls | undefined;
  readonly #observe: RpcObserver | undefined;

  private constructor(watch: ServiceWatch, tls: GrpcTls | undefined, timeoutMs: number, observe: RpcObserver | undefined) {
    this.#watch = watch;
    this.#timeoutMs = timeoutMs;
    this.#tls = tls?.clientOf('transrv');
    this.#observe = observe;
    watch.on('change', (instances) => this.#sync(instances));
    this.#sync(watch.instances());
  }

  /**
   * @param tls mTLS to the nodes (each must present a `transrv.wallet.internal` certificate), or undefined for plaintext
   * @param timeoutMs default deadline of each call @default 5000
   * @param options.observe told of every call made (metrics)
   */
  static async watch(
    discovery: Discovery,
    tls: GrpcTls | undefined,
    timeoutMs = 5000,
    options: { readonly observe?: RpcObserver } = {},
  ): Promise<ShardClients> {
    return new ShardClients(await discovery.watch('transrv'), tls, timeoutMs, options.observe);
  }

  /**
   * Health-checks a node over the client this object already holds for it: repeated checks open no channel.
   * @param instance a node as {@link instances} lists it
   * @param timeoutMs deadline of the check @default 1000
   * @returns UNREACHABLE when no client of this object dials that address (not live, or its registration just changed)
   */
  async checkHealth(instance: Instance, timeoutMs = 1000): Promise<HealthStatus> {
    const entry = instance.nodeId === undefined ? undefined : this.#clients.get(instance.nodeId);
    if (entry === undefined || entry.address !== instance.address) return 'UNREACHABLE';
    return entry.client.checkHealth({ timeoutMs });
  }

  /** Live node ids, sorted. */
  liveNodes(): string[] {
    return [...this.#clients.keys()].sort();
  }

  isLive(nodeId: string): boolean {
    return this.#clients.has(nodeId);
  }

  /** Live instances as registered (for ops views). */
  instances(): Instance[] {
    return this.#watch.instances();
  }

  /**
   * The client of node `nodeId`.
   * @throws WalletError SHARD_UNAVAILABLE when the node is not live
   */
  get(nodeId: string): TransClient {
    const entry = this.#clients.get(nodeId);
    if (!entry) throw new WalletError('SHARD_UNAVAILABLE', `transrv node ${nodeId} is unavailable`, { details: { nodeId } });
    return entry.client;
  }

  /**
   * Runs `call` against node `nodeId`, turning a node that could not be reached (UNAVAILABLE: the request was not
   * sent) into SHARD_UNAVAILABLE for that node. A failure after the request may have reached the node stays TIMEOUT
   * (see createClient): its outcome is unknown. A node whose registration vanishes has its client closed, which
   * lets the calls in flight on it settle first.
   */
  async call<T>(nodeId: string, call: (client: TransClient) => Promise<T>): Promise<T> {
    try {
      return await call(this.get(nodeId));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'UNAVAILABLE') {
        throw new WalletError('SHARD_UNAVAILABLE', `transrv node ${nodeId} is unavailable`, { details: { nodeId }, cause: error });
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#watch.close();
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #sync(instances: Instance[]): void {
    const live = new Map(instances.filter((i) => i.nodeId !== undefined).map((i) => [i.nodeId!, i.address]));
    for (const [nodeId, entry] of this.#clients) {
      if (live.get(nodeId) !== entry.address) {
        entry.client.close();
        this.#clients.delete(nodeId);
      }
    }
    for (const [nodeId, address] of live) {
      if (!this.#clients.has(nodeId)) {
        this.#clients.set(nodeId, {
          address,
          client: createClient(TransServiceService, address, {
            target: `transrv ${nodeId}`,
            defaultTimeoutMs: this.#timeoutMs,
            tls: this.#tls,
            ...(this.#observe ? { observe: this.#observe } : {}),
          }),
        });
      }
    }
  }
}
