import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
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

/**
 * Moves a node's outbox rows (as {@link outboxEvents} read them, in that order) into the feed in one transaction: each
 * client's `event_heads.last_seq` is raised once by the number of its events (the row lock serialises the sequencers
 * of every node for that client, so sequences are gap-free and never reused), each resource's version likewise, then
 * the events are inserted and the outbox rows deleted. Nothing is visible in the feed before the commit, and
 * everything is afterwards: a crash anywhere leaves the rows in the outbox for the next pass.
 *
 * Two sequencers of one node (a restart overlapping the old process) meet on UNIQUE (node_id, outbox_id): the loser's
 * transaction rolls back and moves nothing.
 */
export async function sequenceRows(db: Knex, nodeId: string, rows: readonly OutboxEvent[]): Promise<Sequenced> {
  if (rows.length === 0) return { moved: 0, heads: new Map() };
  try {
    return await withTransaction(db, async (trx) => {
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
      const deleted = await trx('event_outbox')
        .whereIn(
          'id',
          rows.map((r) => r.id),
        )
        .delete();
      // Rows another sequencer moved meanwhile (its commit came between the read and this transaction).
      if (deleted !== rows.length) throw new SequencedElsewhere();
      return { moved: rows.length, heads };
    });
  } catch (error) {
    if (isDuplicateKey(error) || error instanceof SequencedElsewhere) return { moved: 0, heads: new Map() };
    throw error;
  }
}

/** Reads a node's outbox and sequences it ({@link outboxEvents}, {@link sequenceRows}). */
export async function sequenceEvents(db: Knex, nodeId: string, limit = 500): Promise<Sequenced> {
  return sequenceRows(db, nodeId, await outboxEvents(db, nodeId, limit));
}

class SequencedElsewhere extends Error {}

function countBy(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}
