import type { Instance } from '@wallet/discovery';
import { type ClientTls, type HealthStatus, checkHealth } from '@wallet/rpc';

export type PeerHealth = {
  readonly instanceId: string;
  readonly nodeId?: string;
  readonly address: string;
  readonly status: HealthStatus;
};

/** Anything that knows the live instances of a service (the gateway's routing clients do, from etcd). */
export type InstanceSource = { instances(): Instance[]; readonly tls?: ClientTls | undefined };

/**
 * The gateway's health view of the services behind it. It reads the live instances from the watches the
 * routing clients already keep (no second etcd watch of the same prefixes) and asks each over gRPC.
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
    // Over the routing clients' own channel security: with mTLS a plaintext check would be refused.
    const check =
      (tls: ClientTls | undefined) =>
      async (i: Instance): Promise<PeerHealth> => ({
        instanceId: i.instanceId,
        ...(i.nodeId === undefined ? {} : { nodeId: i.nodeId }),
        address: i.address,
        status: await checkHealth(i.address, '', timeoutMs, tls),
      });
    const [accountsrv, transrv] = await Promise.all([
      Promise.all(this.#accountsrv.instances().map(check(this.#accountsrv.tls))),
      Promise.all(this.#transrv.instances().map(check(this.#transrv.tls))),
    ]);
    return { accountsrv, transrv };
  }
}
