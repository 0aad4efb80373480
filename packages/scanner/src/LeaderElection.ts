import type { Logger } from '@wallet/logger';
import type { Etcd3, Lease } from 'etcd3';

export type Leadership = {
  /** The fencing token: the create revision of our candidate key. Every later leader has a higher one. */
  readonly token: bigint;
  /** Resolves when leadership is lost (lease expired or revoked): stop writing at once. */
  readonly lost: Promise<void>;
  /** Gives up leadership (deletes our key with its lease); a standby takes over immediately. */
  resign(): Promise<void>;
};

/**
 * Leader election over etcd, one leader per `name` (e.g. per chain): each candidate writes a key under a
 * lease; the key with the lowest create revision leads, and its create revision is the fencing token that
 * every write of the leader carries to MySQL. A standby watches only its predecessor, so it takes over
 * within the lease TTL of a dead leader (at once after a resign).
 *
 * An etcd lease is not a lock: a paused leader may keep believing it leads after its lease expired.
 * That is why the token is checked by MySQL in the same transaction as each write (see withFence).
 */
export async function campaign(options: {
  readonly etcd: Etcd3;
  /** e.g. `/wallet/<env>/scanners/eth/` */
  readonly prefix: string;
  readonly candidate: string;
  readonly ttlSeconds: number;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}): Promise<Leadership> {
  const { etcd, prefix, candidate, log } = options;
  const lease: Lease = etcd.lease(options.ttlSeconds, { autoKeepAlive: true });
  let markLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  lease.on('lost', (error) => {
    log.warn({ err: error, prefix }, 'leadership lease lost');
    markLost();
  });
  const key = `${prefix}${candidate}`;
  const put = await lease.put(key).value(candidate).exec();
  const token = BigInt(put.header.revision);

  for (;;) {
    if (options.signal?.aborted) {
      await lease.revoke().catch(() => {});
      throw new Error('campaign aborted');
    }
    const all = await etcd.getAll().prefix(prefix).sort('Create', 'Ascend').exec();
    const mine = all.kvs.findIndex((kv) => kv.key.toString() === key);
    if (mine < 0) {
      await lease.revoke().catch(() => {});
      throw new Error(`candidate key ${key} vanished (lease lost) while campaigning`);
    }
    if (mine === 0) break;
    // Wait for the candidate just ahead of us to go, then look again.
    const predecessor = all.kvs[mine - 1]!;
    const watcher = await etcd
      .watch()
      .key(predecessor.key.toString())
      .startRevision(String(BigInt(all.header.revision) + 1n))
      .create();
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      watcher.on('delete', done);
      options.signal?.addEventListener('abort', done, { once: true });
      void lost.then(done);
    });
    await watcher.cancel();
  }
  log.info({ prefix, candidate, token: token.toString() }, 'elected leader');
  return {
    token,
    lost,
    resign: async () => {
      await lease.revoke().catch(() => {});
      markLost();
    },
  };
}
