import type { Knex } from '@wallet/db';

/** An event as the feed serves it. */
export type FeedEvent = {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly version: number;
  /** The resource after the change, as JSON text. */
  readonly data: string;
  readonly occurredAt: Date;
};

type EventRow = {
  seq: string | number;
  id: string;
  type: string;
  resource_type: string;
  resource_id: string;
  version: number;
  data: string;
  occurred_at: Date;
};

/** A client's events after `after` (a sequence; 0: from the start), oldest first: a range of the primary key. */
export function listEvents(db: Knex, clientId: string, after: number, limit: number): Promise<FeedEvent[]> {
  return readEvents(db, clientId, { after, limit });
}

/**
 * A client's events with `after < seq <= upTo` (`upTo` unbounded when not given), oldest first, at most `limit`.
 * The one read of the feed: the API's pages and the webhooks' queues see the same events.
 */
export async function readEvents(
  db: Knex,
  clientId: string,
  range: { readonly after: number; readonly upTo?: number; readonly limit: number },
): Promise<FeedEvent[]> {
  const query = db<EventRow>('events').where('client_id', clientId).andWhere('seq', '>', range.after);
  if (range.upTo !== undefined) void query.andWhere('seq', '<=', range.upTo);
  const rows = await query
    .orderBy('seq')
    .limit(range.limit)
    .select('seq', 'id', 'type', 'resource_type', 'resource_id', 'version', 'data', 'occurred_at');
  return rows.map((r) => ({
    seq: Number(r.seq),
    id: r.id,
    type: r.type,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    version: Number(r.version),
    data: r.data,
    occurredAt: r.occurred_at,
  }));
}

/** A client's last sequence (0: no event yet). */
export async function lastEventSeq(db: Knex, clientId: string): Promise<number> {
  const row = await db('event_heads').where('client_id', clientId).first<{ last_seq: string | number } | undefined>('last_seq');
  return row ? Number(row.last_seq) : 0;
}
