import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { WalletError } from '@wallet/errors';
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
   * long pause) a new one is granted and the key written again, retrying with backoff for as long as it
   * takes. Re-registrations are serialized (two `lost` events never race), and a key still held by one of
   * this process's own earlier leases is recognised as its own, not as another instance's.
   * @returns a handle whose `deregister()` revokes the lease (the key disappears at once)
   */
  async register(instance: Instance, options: RegisterOptions = {}): Promise<Registration> {
    const key = `${servicePrefix(this.#env, instance.service)}${instance.instanceId}`;
    const value = JSON.stringify(InstanceSchema.parse(instance));
    const exclusive = options.exclusive ?? false;
    let closed = false;
    /** The lease the key is published under; undefined while re-registering. */
    let current: Lease | undefined;
    let reregistering = false;
    /** Every lease id this registration was granted: a key held by one of them is our own. */
    const ours = new Set<string>();

    /** One try: a new lease and the key under it (exclusive: only if no lease holds the key, else its holder). */
    const attempt = async (): Promise<{ lease: Lease } | { heldBy: HolderLease | null }> => {
      const lease = this.etcd.lease(this.#ttl, { autoKeepAlive: true });
      lease.on('lost', (error) => onLost(lease, error));
      let id: string;
      try {
        id = await lease.grant();
      } catch (error) {
        lease.release();
        throw error;
      }
      ours.add(id);
      try {
        if (!exclusive) {
          await this.etcd.put(key).value(value).lease(id).exec();
          return { lease };
        }
        // Exclusive: create the key only if nobody holds it, in one etcd transaction.
        const result = await this.etcd.if(key, 'Create', '==', 0).then(this.etcd.put(key).value(value).lease(id)).commit();
        if (result.succeeded) return { lease };
      } catch (error) {
        await lease.revoke().catch(() => {});
        throw error;
      }
      await lease.revoke().catch(() => {});
      return { heldBy: await this.#holderLease(key) };
    };

    const onLost = (lease: Lease, error: Error): void => {
      // etcd3 may report one loss more than once (keepalive timeout, then the expired answer), and a lease
      // replaced already is no news: only the loss of the current lease starts a re-registration.
      if (closed || lease !== current) return;
      current = undefined;
      this.#log.warn({ err: error, key }, 'registration lease lost; registering again');
      startReregistering();
    };

    const startReregistering = (): void => {
      if (reregistering || closed) return;
      reregistering = true;
      void reregister().finally(() => {
        reregistering = false;
        // The new lease may have been lost while this loop was finishing.
        if (!closed && current === undefined) startReregistering();
      });
    };

    const reregister = async (): Promise<void> => {
      const seen = new Map<string, number>();
      for (let n = 1; !closed && current === undefined; n++) {
        try {
          const outcome = await attempt();
          if ('lease' in outcome) {
            if (closed) {
              await outcome.lease.revoke().catch(() => {});
              return;
            }
            if (outcome.lease.revoked()) continue; // lost before it was even in use
            current = outcome.lease;
            this.#log.info({ key, attempt: n }, 'registered again');
            return;
          }
          const holder = outcome.heldBy;
          if (holder && ours.has(holder.lease)) {
            // Our own earlier lease still holds the key (it was reported lost but etcd has not expired it): it is
            // nobody else's registration. Revoke it and write the key again under the new lease.
            this.#log.info({ key, lease: holder.lease }, 'own earlier lease still holds the key; revoking it');
            await this.etcd.leaseClient.leaseRevoke({ ID: holder.lease }).catch(() => {});
            continue;
          }
          if (holder && this.#heldByLiveInstance(holder, seen)) {
            // Another process holds our identity and keeps it alive: two would serve it. Only now do we give up.
            closed = true;
            this.#log.fatal({ key }, 'exclusive registration taken by another live instance');
            options.onLost?.(new WalletError('CONFLICT', `another live instance is registered as ${key}`, { details: { key } }));
            return;
          }
          this.#log.warn(
            { key, attempt: n, remainingTtl: holder?.ttl ?? null },
            'identity held by another lease; waiting for it to expire',
          );
        } catch (error) {
          this.#log.warn({ err: error, key, attempt: n }, 'registration failed; retrying');
        }
        await sleep(jitteredBackoffMs(n));
      }
    };

    const waitUntil = Date.now() + (options.waitForExclusiveMs ?? 0);
    const seen = new Map<string, number>();
    for (;;) {
      const outcome = await attempt();
      if ('lease' in outcome) {
        current = outcome.lease;
        break;
      }
      const conflict = new WalletError('CONFLICT', `another live instance is registered as ${key}`, { details: { key } });
      if (Date.now() >= waitUntil) throw conflict;
      // After a kill -9 the previous holder's lease lives on until etcd expires it (sometimes late): wait that out.
      // A lease that outlives its own granted TTL while not expired is being renewed: its holder is alive. Refuse
      // then, rather than when the wait runs out.
      const holder = outcome.heldBy;
      if (holder && this.#heldByLiveInstance(holder, seen)) {
        this.#log.fatal({ key }, 'identity held by a live instance (its lease is being renewed)');
        throw conflict;
      }
      this.#log.warn({ key, remainingTtl: holder?.ttl ?? null }, 'identity held by a lease; waiting for it to be released or expire');
      await sleep(500);
    }
    this.#log.info({ key, ttlSeconds: this.#ttl }, 'registered');
    const deregister = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      this.#closers.delete(deregister);
      await current?.revoke().catch((error: unknown) => this.#log.warn({ err: error, key }, 'lease revoke failed'));
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
   * Whether `holder` is a live instance's lease: one seen (in `seen`, updated here) for longer than its granted TTL
   * while not expired is being renewed. A crashed holder's lease only ever runs down.
   */
  #heldByLiveInstance(holder: HolderLease, seen: Map<string, number>): boolean {
    if (!seen.has(holder.lease)) seen.set(holder.lease, Date.now());
    const since = seen.get(holder.lease)!;
    return holder.ttl >= 0 && Date.now() - since > (holder.grantedTtl + 2) * 1000;
  }

  /**
   * The lease holding `key`: its id, remaining TTL in seconds (-1 once expired, even before etcd has revoked it) and
   * granted TTL; null when no lease holds the key.
   */
  async #holderLease(key: string): Promise<HolderLease | null> {
    const response = await this.etcd.kv.range({ key: Buffer.from(key) });
    const lease = response.kvs[0]?.lease;
    if (lease === undefined || lease === '0') return null;
    const ttl = await this.etcd.leaseClient.leaseTimeToLive({ ID: lease });
    return { lease, ttl: Number(ttl.TTL), grantedTtl: Number(ttl.grantedTTL) };
  }
}

/** The lease holding a key: its id, remaining TTL in seconds (-1 once expired) and granted TTL. */
type HolderLease = { lease: string; ttl: number; grantedTtl: number };

/** Backoff before re-registration attempt `n + 1`: exponential up to 5 s, with jitter. */
function jitteredBackoffMs(n: number): number {
  const cap = Math.min(5000, 250 * 2 ** (n - 1));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
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
  /**
   * Called if an exclusive registration is lost for good: another live instance holds the key. A lost lease alone
   * never calls it (the registration is retried until it succeeds).
   */
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
