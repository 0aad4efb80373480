import type { Discovery, Instance, ServiceWatch } from '@wallet/discovery';
import { type HealthStatus, checkHealth } from '@wallet/rpc';

export type PeerHealth = {
  readonly instanceId: string;
  readonly nodeId?: string;
  readonly address: string;
  readonly status: HealthStatus;
};

/**
 * The gateway's live view of the services behind it, kept current by etcd watches: a new transrv is
 * known as soon as it registers, a dead one is gone when its lease expires.
 */
export class Peers {
  readonly #accountsrv: ServiceWatch;
  readonly #transrv: ServiceWatch;

  private constructor(accountsrv: ServiceWatch, transrv: ServiceWatch) {
    this.#accountsrv = accountsrv;
    this.#transrv = transrv;
  }

  static async watch(discovery: Discovery): Promise<Peers> {
    const [accountsrv, transrv] = await Promise.all([discovery.watch('accountsrv'), discovery.watch('transrv')]);
    return new Peers(accountsrv, transrv);
  }

  accountsrv(): Instance[] {
    return this.#accountsrv.instances();
  }

  /** Live transrv instances, one per node id (registration is exclusive per node id). */
  transrv(): Instance[] {
    return this.#transrv.instances();
  }

  /** Health-checks every known peer over gRPC, in parallel. */
  async health(timeoutMs: number): Promise<{ accountsrv: PeerHealth[]; transrv: PeerHealth[] }> {
    const check = async (i: Instance): Promise<PeerHealth> => ({
      instanceId: i.instanceId,
      ...(i.nodeId === undefined ? {} : { nodeId: i.nodeId }),
      address: i.address,
      status: await checkHealth(i.address, '', timeoutMs),
    });
    const [accountsrv, transrv] = await Promise.all([Promise.all(this.accountsrv().map(check)), Promise.all(this.transrv().map(check))]);
    return { accountsrv, transrv };
  }

  async close(): Promise<void> {
    await Promise.all([this.#accountsrv.close(), this.#transrv.close()]);
  }
}
