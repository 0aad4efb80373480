import { type Knex, type NodeDbs, isDuplicateKey, nodeDbs, withTransaction } from '@wallet/db';
import { newId } from '@wallet/ids';

/** What one sequencing pass moved. */
export type Sequenced = {
  readonly moved: number;
  /** Each client whose feed grew, with its new last sequence. */
  readonly heads: ReadonlyMap<string, number>;
};

/** An outbox row, as read for sequencing. */
export type OutboxEvent = {
  readonly id: string | number;
  readonly client_id: string;
  readonly type: string;
  readonly resource_type: string;
  readonly resource_id: string;
  readonly data: string;
  readonly occurred_at: Date;
};

/**
 * A node's outbox rows, oldest first: read without a locking read, so no gap lock stands in front of the transactions
 * appending to it.
 */
export function outboxEvents(db: Knex, nodeId: string, limit: number): Promise<OutboxEvent[]> {
  return db<OutboxEvent>('event_outbox')
    .where('node_id', nodeId)
    .orderBy('id')
    .limit(limit)
    .select('id', 'client_id', 'type', 'resource_type', 'resource_id', 'data', 'occurred_at');
}

/** Test hook between the feed's commit and the outbox's delete (a crash there). */
export type SequencerCrashPoint = (point: 'events.sequence.after_feed_commit') => void;

/**
 * Moves a node's outbox rows (as {@link outboxEvents} read them, in that order) into the feed, in two steps that never
 * need one transaction across the two databases:
 *
 * 1. In one feed transaction, each client's `event_heads.last_seq` is raised once by the number of its events (the
 *    row lock serialises the sequencers of every node for that client, so sequences are gap-free and never reused),
 *    each resource's version likewise, and the events are inserted with their origin, UNIQUE (node_id, outbox_id).
 *    Nothing is visible in the feed before the commit, and everything is afterwards.
 * 2. The outbox rows are deleted.
 *
 * A crash between the two leaves rows in the outbox that the feed already holds: the next pass finds them by their
 * origin, sequences them no second time and deletes them. Two sequencers of one node (a restart overlapping the old
 * process) meet on the origin key: the loser's feed transaction rolls back and moves nothing. A feed row with the
 * same origin but another resource or type (an outbox id reused, which MariaDB's persistent AUTO_INCREMENT rules out)
 * is refused loudly rather than taken for the same event.
 */
export async function sequenceRows(
  db: Knex | NodeDbs,
  nodeId: string,
  rows: readonly OutboxEvent[],
  crashPoint?: SequencerCrashPoint,
): Promise<Sequenced> {
  if (rows.length === 0) return { moved: 0, heads: new Map() };
  // The feed is global; a node's outbox is in its shard (docs/sharding.md).
  const { global: feed, shard: outbox } = nodeDbs(db);
  const ids = rows.map((r) => String(r.id));
  const inFeed = new Map(
    (
      await feed('events')
        .where('node_id', nodeId)
        .whereIn('outbox_id', ids)
        .select<{ outbox_id: string | number; resource_id: string; type: string }[]>('outbox_id', 'resource_id', 'type')
    ).map((e) => [String(e.outbox_id), e]),
  );
  for (const r of rows) {
    const e = inFeed.get(String(r.id));
    if (e && (e.resource_id !== r.resource_id || e.type !== r.type)) {
      throw new Error(`outbox row ${nodeId}/${String(r.id)} (${r.type} ${r.resource_id}) is in the feed as ${e.type} ${e.resource_id}`);
    }
  }
  const fresh = rows.filter((r) => !inFeed.has(String(r.id)));
  let done: Sequenced = { moved: 0, heads: new Map() };
  if (fresh.length > 0) {
    try {
      done = await appendToFeed(feed, nodeId, fresh);
    } catch (error) {
      // Another sequencer of this node moved some of them meanwhile: the next pass finds them in the feed.
      if (isDuplicateKey(error)) return { moved: 0, heads: new Map() };
      throw error;
    }
    crashPoint?.('events.sequence.after_feed_commit');
  }
  await outbox('event_outbox').where('node_id', nodeId).whereIn('id', ids).delete();
  return done;
}

/** Step 1 of {@link sequenceRows}: the feed's transaction. */
function appendToFeed(feed: Knex, nodeId: string, rows: readonly OutboxEvent[]): Promise<Sequenced> {
  return withTransaction(feed, async (trx) => {
    const perClient = countBy(rows.map((r) => r.client_id));
    const perResource = countBy(rows.map((r) => r.resource_id));
    // Sorted: two sequencers that lock the same clients lock them in the same order.
    const clients = [...perClient.keys()].sort();
    const resources = [...perResource.keys()].sort();
    await trx.raw(
      `INSERT INTO event_heads (client_id, last_seq) VALUES ${clients.map(() => '(?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE last_seq = last_seq + VALUES(last_seq)`,
      clients.flatMap((c) => [c, perClient.get(c)!]),
    );
    await trx.raw(
      `INSERT INTO event_resources (resource_id, version) VALUES ${resources.map(() => '(?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE version = version + VALUES(version)`,
      resources.flatMap((r) => [r, perResource.get(r)!]),
    );
    // Locking reads: the rows as this transaction just raised them (never an older snapshot).
    const heads = new Map<string, number>();
    for (const h of await trx('event_heads')
      .whereIn('client_id', clients)
      .forUpdate()
      .select<{ client_id: string; last_seq: string | number }[]>('client_id', 'last_seq')) {
      heads.set(h.client_id, Number(h.last_seq));
    }
    const versions = new Map<string, number>();
    for (const v of await trx('event_resources')
      .whereIn('resource_id', resources)
      .forUpdate()
      .select<{ resource_id: string; version: number }[]>('resource_id', 'version')) {
      versions.set(v.resource_id, Number(v.version));
    }
    // The first sequence (version) of each client (resource) in this batch; then one more per row, in outbox order.
    const nextSeq = new Map(clients.map((c) => [c, heads.get(c)! - perClient.get(c)! + 1]));
    const nextVersion = new Map(resources.map((r) => [r, versions.get(r)! - perResource.get(r)! + 1]));
    const events = rows.map((r) => {
      const seq = nextSeq.get(r.client_id)!;
      nextSeq.set(r.client_id, seq + 1);
      const version = nextVersion.get(r.resource_id)!;
      nextVersion.set(r.resource_id, version + 1);
      return {
        client_id: r.client_id,
        seq,
        id: newId('ev'),
        type: r.type,
        resource_type: r.resource_type,
        resource_id: r.resource_id,
        version,
        data: r.data,
        occurred_at: r.occurred_at,
        node_id: nodeId,
        outbox_id: r.id,
      };
    });
    await trx('events').insert(events);
    return { moved: rows.length, heads };
  });
}

/** Reads a node's outbox and sequences it ({@link outboxEvents}, {@link sequenceRows}). */
export async function sequenceEvents(db: Knex | NodeDbs, nodeId: string, limit = 500): Promise<Sequenced> {
  return sequenceRows(db, nodeId, await outboxEvents(nodeDbs(db).shard, nodeId, limit));
}

function countBy(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}
