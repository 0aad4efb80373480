import type { Discovery, Instance, ServiceName, ServiceWatch } from '@wallet/discovery';
import { WalletError } from '@wallet/errors';
import {
  type ClientTls,
  type GrpcTls,
  type HealthStatus,
  type PromiseClient,
  type RpcObserver,
  type UnaryServiceDefinition,
  createClient,
} from '@wallet/rpc';

/**
 * A client for a stateless service with interchangeable instances (accountsrv): each call goes to a
 * live instance, round robin, from the etcd watch.
 */
export class AnyInstanceClient<D extends UnaryServiceDefinition> {
  readonly #watch: ServiceWatch;
  readonly #definition: D;
  readonly #service: ServiceName;
  readonly #timeoutMs: number;
  readonly #tls: ClientTls | undefined;
  readonly #observe: RpcObserver | undefined;
  readonly #clients = new Map<string, PromiseClient<D>>();
  #next = 0;

  private constructor(
    service: ServiceName,
    definition: D,
    watch: ServiceWatch,
    tls: GrpcTls | undefined,
    timeoutMs: number,
    observe: RpcObserver | undefined,
  ) {
    this.#service = service;
    this.#tls = tls?.clientOf(service);
    this.#observe = observe;
    this.#definition = definition;
    this.#watch = watch;
    this.#timeoutMs = timeoutMs;
    watch.on('change', (instances) => this.#sync(instances));
    this.#sync(watch.instances());
  }

  /**
   * @param tls mTLS to the instances (each must present a `<service>.wallet.internal` certificate), or undefined for
   * plaintext
   * @param timeoutMs default deadline of each call @default 5000
   */
  static async watch<D extends UnaryServiceDefinition>(
    discovery: Discovery,
    service: ServiceName,
    definition: D,
    tls: GrpcTls | undefined,
    timeoutMs = 5000,
    options: { readonly observe?: RpcObserver } = {},
  ): Promise<AnyInstanceClient<D>> {
    return new AnyInstanceClient(service, definition, await discovery.watch(service), tls, timeoutMs, options.observe);
  }

  /**
   * Health-checks an instance over the client this object already holds for it: repeated checks open no channel.
   * @param instance an instance as {@link instances} lists it
   * @param timeoutMs deadline of the check @default 1000
   * @returns UNREACHABLE when no client of this object dials that address (not live, or its registration just changed)
   */
  async checkHealth(instance: Instance, timeoutMs = 1000): Promise<HealthStatus> {
    const client = this.#clients.get(instance.address);
    if (client === undefined) return 'UNREACHABLE';
    return client.checkHealth({ timeoutMs });
  }

  /**
   * A client of some live instance.
   * @throws WalletError UNAVAILABLE when none is live
   */
  pick(): PromiseClient<D> {
    const clients = [...this.#clients.values()];
    if (clients.length === 0) throw new WalletError('UNAVAILABLE', `no live ${this.#service} instance`);
    this.#next = (this.#next + 1) % clients.length;
    return clients[this.#next]!;
  }

  instances(): Instance[] {
    return this.#watch.instances();
  }

  async close(): Promise<void> {
    await this.#watch.close();
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #sync(instances: Instance[]): void {
    const live = new Set(instances.map((i) => i.address));
    for (const [address, client] of this.#clients) {
      if (!live.has(address)) {
        client.close();
        this.#clients.delete(address);
      }
    }
    for (const address of live) {
      if (!this.#clients.has(address)) {
        this.#clients.set(
          address,
          createClient(this.#definition, address, {
            target: this.#service,
            defaultTimeoutMs: this.#timeoutMs,
            tls: this.#tls,
            ...(this.#observe ? { observe: this.#observe } : {}),
          }),
        );
      }
    }
  }
}
