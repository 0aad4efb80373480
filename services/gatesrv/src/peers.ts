import type { Instance } from '@wallet/discovery';
import type { HealthStatus } from '@wallet/rpc';

export type PeerHealth = {
  readonly instanceId: string;
  readonly nodeId?: string;
  readonly address: string;
  readonly status: HealthStatus;
};

/**
 * The live instances of a service and a health check of each over the client already held for it (the gateway's
 * routing clients, kept from etcd: ShardClients, AnyInstanceClient).
 */
export type InstanceSource = {
  instances(): Instance[];
  checkHealth(instance: Instance, timeoutMs: number): Promise<HealthStatus>;
};

/**
 * The gateway's health view of the services behind it. It reads the live instances from the watches the routing
 * clients already keep (no second etcd watch of the same prefixes) and asks each over the channel those clients keep
 * open to it (no connection per check: /healthz is polled by load balancers).
 */
export class Peers {
  readonly #accountsrv: InstanceSource;
  readonly #transrv: InstanceSource;

  constructor(accountsrv: InstanceSource, transrv: InstanceSource) {
    this.#accountsrv = accountsrv;
    this.#transrv = transrv;
  }

  /** Health-checks every known peer over gRPC, in parallel. */
  async health(timeoutMs: number): Promise<{ accountsrv: PeerHealth[]; transrv: PeerHealth[] }> {
    const check =
      (source: InstanceSource) =>
      async (i: Instance): Promise<PeerHealth> => ({
        instanceId: i.instanceId,
        ...(i.nodeId === undefined ? {} : { nodeId: i.nodeId }),
        address: i.address,
        status: await source.checkHealth(i, timeoutMs),
      });
    const [accountsrv, transrv] = await Promise.all([
      Promise.all(this.#accountsrv.instances().map(check(this.#accountsrv))),
      Promise.all(this.#transrv.instances().map(check(this.#transrv))),
    ]);
    return { accountsrv, transrv };
  }
}
