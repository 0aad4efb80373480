import type { Knex } from '@wallet/db';
import type { EventType, ResourceType } from './eventTypes.js';

/** A change to record, as its owner's transaction sees it. */
export type NewEvent = {
  /** The node that owns the resource (its sequencer moves the event into the feed). */
  readonly nodeId: string;
  readonly clientId: string;
  readonly type: EventType;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  /** The resource as the client sees it after the change (JSON-serialisable; amounts as base-unit strings). */
  readonly data: Readonly<Record<string, unknown>>;
};

/**
 * Appends events to the outbox inside the caller's transaction, so an event exists exactly when its change committed.
 * Their order within the call is kept (ascending ids).
 */
export async function appendEvents(trx: Knex.Transaction, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx('event_outbox').insert(
    events.map((e) => ({
      node_id: e.nodeId,
      client_id: e.clientId,
      type: e.type,
      resource_type: e.resourceType,
      resource_id: e.resourceId,
      data: JSON.stringify(e.data),
    })),
  );
}
