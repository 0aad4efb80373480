import { EventEmitter } from 'node:events';
import { WalletError, isWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import { Etcd3, type Lease, type Watcher } from 'etcd3';
import { type Instance, InstanceSchema, type ServiceName, servicePrefix } from './instance.js';

export type DiscoveryOptions = {
  /** etcd client URLs. */
  readonly endpoints: readonly string[];
  /** Cluster namespace (WALLET_ENV): instances of other namespaces are invisible. */
  readonly env: string;
  /** Lease TTL of registrations: a dead instance disappears within this. @default 10 */
  readonly ttlSeconds?: number;
  readonly log: Logger;
};

/**
 * Service discovery over etcd. An instance registers under
 * `/wallet/<env>/services/<name>/<instanceId>` with a lease kept alive in the background, so a killed
 * process vanishes within the TTL; clients watch the prefix and see changes as they happen.
 */
export class Discovery {
  readonly etcd: Etcd3;
  readonly #env: string;
  readonly #ttl: number;
  readonly #log: Logger;
  readonly #closers = new Set<() => Promise<void>>();

  constructor(options: DiscoveryOptions) {
    this.etcd = new Etcd3({ hosts: [...options.endpoints], dialTimeout: 3000 });
    this.#env = options.env;
    this.#ttl = options.ttlSeconds ?? 10;
    this.#log = options.log.child({ component: 'discovery' });
  }

  /**
   * Publishes `instance` under a lease and keeps it published: if the lease is lost (etcd restart,
   * long pause) a new one is granted and the key written again.
   * @returns a handle whose `deregister()` revokes the lease (the key disappears at once)
   */
  async register(instance: Instance, options: RegisterOptions = {}): Promise<Registration> {
    const key = `${servicePrefix(this.#env, instance.service)}${instance.instanceId}`;
    const value = JSON.stringify(InstanceSchema.parse(instance));
    let closed = false;
    let lease: Lease;
    const grant = async (): Promise<void> => {
      lease = this.etcd.lease(this.#ttl, { autoKeepAlive: true });
      lease.on('lost', (error) => {
        if (closed) return;
        this.#log.warn({ err: error, key }, 'registration lease lost; registering again');
        void retry();
      });
      if (!options.exclusive) {
        await lease.put(key).value(value).exec();
        return;
      }
      // Exclusive: create the key only if nobody holds it, in one etcd transaction.
      const leaseId = await lease.grant();
      const result = await this.etcd.if(key, 'Create', '==', 0).then(this.etcd.put(key).value(value).lease(leaseId)).commit();
      if (!result.succeeded) {
        await lease.revoke().catch(() => {});
        throw new WalletError('CONFLICT', `another live instance is registered as ${key}`, { details: { key } });
      }
    };
    const retry = async (): Promise<void> => {
      for (let attempt = 1; !closed; attempt++) {
        try {
          await grant();
          this.#log.info({ key, attempt }, 'registered again');
          return;
        } catch (error) {
          if (isWalletError(error, 'CONFLICT')) {
            // Someone else took our exclusive identity while we were away: we must stop serving it.
            closed = true;
            this.#log.fatal({ key }, 'exclusive registration taken by another instance');
            options.onLost?.(error);
            return;
          }
          this.#log.error({ err: error, key, attempt }, 'registration failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
        }
      }
    };
    const waitUntil = Date.now() + (options.waitForExclusiveMs ?? 0);
    /** Each lease seen holding the key, with when it was first seen. */
    const seen = new Map<string, number>();
    for (;;) {
      try {
        await grant();
        break;
      } catch (error) {
        if (!isWalletError(error, 'CONFLICT') || Date.now() >= waitUntil) throw error;
        // After a kill -9 the previous holder's lease lives on until etcd expires it (sometimes late): wait that out.
        // A lease that outlives its own granted TTL while not expired is being renewed: its holder is alive. Refuse
        // then, rather than when the wait runs out.
        const now = await this.#holderLease(key);
        if (now && !seen.has(now.lease)) seen.set(now.lease, Date.now());
        const since = now ? seen.get(now.lease) : undefined;
        if (now && since !== undefined && now.ttl >= 0 && Date.now() - since > (now.grantedTtl + 2) * 1000) {
          this.#log.fatal({ key }, 'identity held by a live instance (its lease is being renewed)');
          throw error;
        }
        this.#log.warn({ key, remainingTtl: now?.ttl ?? null }, 'identity held by a lease; waiting for it to be released or expire');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    this.#log.info({ key, ttlSeconds: this.#ttl }, 'registered');
    const deregister = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      this.#closers.delete(deregister);
      await lease.revoke().catch((error: unknown) => this.#log.warn({ err: error, key }, 'lease revoke failed'));
    };
    this.#closers.add(deregister);
    return { key, deregister };
  }

  /**
   * Watches all live instances of a service. The returned set is filled before this resolves and is
   * kept current from the watch stream (no gap: the watch starts at the revision of the initial read).
   */
  async watch(service: ServiceName): Promise<ServiceWatch> {
    const prefix = servicePrefix(this.#env, service);
    const watch = new ServiceWatch(prefix, this.#log);
    const initial = await this.etcd.getAll().prefix(prefix).exec();
    for (const kv of initial.kvs) watch.apply('put', kv.key.toString(), kv.value.toString());
    const watcher: Watcher = await this.etcd
      .watch()
      .prefix(prefix)
      .startRevision(String(BigInt(initial.header.revision) + 1n))
      .create();
    watcher.on('put', (kv) => watch.apply('put', kv.key.toString(), kv.value.toString()));
    watcher.on('delete', (kv) => watch.apply('delete', kv.key.toString(), ''));
    watcher.on('error', (error) => this.#log.warn({ err: error, prefix }, 'watch error; the client reconnects'));
    const close = async (): Promise<void> => {
      this.#closers.delete(close);
      await watcher.cancel();
    };
    this.#closers.add(close);
    watch.close = close;
    return watch;
  }

  /** Deregisters everything this process registered, stops watches, closes the etcd client. */
  async close(): Promise<void> {
    await Promise.all([...this.#closers].map((close) => close()));
    this.etcd.close();
  }

  /**
   * The lease holding `key`: its id, remaining TTL in seconds (-1 once expired, even before etcd has revoked it) and
   * granted TTL; null when no lease holds the key.
   */
  async #holderLease(key: string): Promise<{ lease: string; ttl: number; grantedTtl: number } | null> {
    const response = await this.etcd.kv.range({ key: Buffer.from(key) });
    const lease = response.kvs[0]?.lease;
    if (lease === undefined || lease === '0') return null;
    const ttl = await this.etcd.leaseClient.leaseTimeToLive({ ID: lease });
    return { lease, ttl: Number(ttl.TTL), grantedTtl: Number(ttl.grantedTTL) };
  }
}

export type RegisterOptions = {
  /**
   * Fail (CONFLICT) if a live instance already holds this key: for identities that must be unique,
   * such as a transrv node id that owns accounts, or the single signsrv. @default false
   */
  readonly exclusive?: boolean;
  /**
   * With `exclusive`: how long to keep trying while another lease holds the key (a crashed
   * predecessor's lease expires within the TTL). @default 0
   */
  readonly waitForExclusiveMs?: number;
  /** Called if an exclusive registration is lost for good (another instance took the key). */
  readonly onLost?: (error: Error) => void;
};

export type Registration = {
  readonly key: string;
  /** Revokes the lease: peers see the instance leave at once instead of after the TTL. */
  deregister(): Promise<void>;
};

export type ServiceWatchEvents = { change: [instances: Instance[]] };

/** The live instances of one service, updated from an etcd watch. Emits `change` after each update. */
export class ServiceWatch extends EventEmitter<ServiceWatchEvents> {
  readonly #instances = new Map<string, Instance>();
  readonly #prefix: string;
  readonly #log: Logger;
  close: () => Promise<void> = async () => {};

  constructor(prefix: string, log: Logger) {
    super();
    this.#prefix = prefix;
    this.#log = log;
  }

  /** Current live instances, sorted by instance id. */
  instances(): Instance[] {
    return [...this.#instances.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  /** @internal applies one etcd event */
  apply(kind: 'put' | 'delete', key: string, value: string): void {
    const id = key.slice(this.#prefix.length);
    if (kind === 'delete') {
      this.#instances.delete(id);
    } else {
      let parsed: Instance;
      try {
        parsed = InstanceSchema.parse(JSON.parse(value));
      } catch (error) {
        this.#log.warn({ err: error, key }, 'ignoring malformed registration');
        return;
      }
      this.#instances.set(id, parsed);
    }
    this.emit('change', this.instances());
  }
}
