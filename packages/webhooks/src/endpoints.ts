import { randomBytes } from 'node:crypto';
import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type FeedEvent, checkEventTypes, readEvents, wants } from '@wallet/events';
import { newId } from '@wallet/ids';
import type { SecretBox } from '@wallet/secret-box';
import { type DestinationPolicy, checkWebhookUrl } from './destinationPolicy.js';
import { type RequestKey, type StoredAnswer, requestOnce, requestSecretContext } from './requestOnce.js';

/** At most this many live endpoints per client. */
export const MAX_ENDPOINTS = 20;
/** At most this many events queued again by one redelivery request. */
export const MAX_REDELIVERY = 1000;
/** The longest a rotated-out secret is still used to sign (7 days). */
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

export type WebhookEndpoint = {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly description: string | null;
  readonly status: 'active' | 'disabled';
  readonly disabledReason: string | null;
  readonly failingSince: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
};

export type EndpointRow = {
  id: string;
  client_id: string;
  url: string;
  events: string;
  description: string | null;
  /** Plaintext: empty since 0040, except a row an older version wrote (sealed at the next start). */
  secret: string | null;
  previous_secret: string | null;
  /** The signing secrets, sealed for {@link endpointSecretContext}. */
  secret_box: string | null;
  previous_secret_box: string | null;
  previous_secret_until: Date | null;
  status: 'active' | 'disabled';
  disabled_reason: string | null;
  cursor_seq: string | number;
  failing_since: Date | null;
  lease_owner: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
};

export function endpointFromRow(r: EndpointRow): WebhookEndpoint {
  return {
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    description: r.description,
    status: r.status,
    disabledReason: r.disabled_reason,
    failingSince: r.failing_since,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** What an endpoint's signing secrets are sealed for: binds them to its row. */
export const endpointSecretContext = (id: string): string => `webhook_endpoints:${id}`;

/**
 * An endpoint and its secret as a request's answer: the endpoint in the JSON (dates as ISO strings), the secret sealed
 * for the request's row (`webhook_requests.secret_box`), read back as they were.
 */
function answerWithSecret(box: SecretBox, request: RequestKey): StoredAnswer<{ endpoint: WebhookEndpoint; secret: string }> {
  const context = requestSecretContext(request);
  return {
    store: ({ endpoint, secret }) => ({ response: { endpoint }, secretBox: box.seal(secret, context) }),
    revive: (stored, secretBox) => {
      const e = (stored as { endpoint: Record<string, unknown> }).endpoint;
      const date = (x: unknown): Date | null => (typeof x === 'string' ? new Date(x) : null);
      return {
        secret: box.open(secretBox ?? '', context),
        endpoint: {
          ...(e as unknown as WebhookEndpoint),
          failingSince: date(e['failingSince']),
          createdAt: date(e['createdAt'])!,
          updatedAt: date(e['updatedAt'])!,
        },
      };
    },
  };
}

/** A request without a key (tools, tests): its own. */
const unkeyed = (clientId: string): RequestKey => ({ clientId, key: `anon:${newId('rq')}`, hash: '' });

const invalid = (field: string, message: string): WalletError =>
  new WalletError('VALIDATION_FAILED', message, { details: { issues: [{ field, message }] } });

const newSecret = (): string => `whsec_${randomBytes(32).toString('hex')}`;

async function liveRow(db: Knex, clientId: string, id: string, forUpdate = false): Promise<EndpointRow> {
  const q = db<EndpointRow>('webhook_endpoints').where({ id, client_id: clientId }).whereNull('deleted_at');
  const row = await (forUpdate ? q.forUpdate() : q).first();
  // Another client's endpoint is as absent as one that does not exist.
  if (!row) throw new WalletError('NOT_FOUND', 'no such webhook', { details: { webhookId: id } });
  return row;
}

export type CreateEndpointInput = {
  readonly clientId: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly description?: string | undefined;
};

/**
 * Registers a receiver. It gets the client's events from now on (its cursor starts at the feed's head; older ones by
 * redelivery). @returns the endpoint and its signing secret (shown once)
 * @throws WalletError VALIDATION_FAILED (url, events), LIMIT_EXCEEDED (too many endpoints)
 */
export async function createEndpoint(
  db: Knex,
  box: SecretBox,
  input: CreateEndpointInput,
  policy: DestinationPolicy,
  request: RequestKey = unkeyed(input.clientId),
): Promise<{ endpoint: WebhookEndpoint; secret: string; replayed: boolean }> {
  const url = checkWebhookUrl(input.url, policy);
  const events = checkEventTypes(input.events);
  const { value, replayed } = await requestOnce(
    db,
    request,
    async (trx) => {
      // Counted under the client's lock on its head row, so two creations cannot both pass the limit.
      await trx.raw('INSERT INTO event_heads (client_id, last_seq) VALUES (?, 0) ON DUPLICATE KEY UPDATE client_id = client_id', [
        input.clientId,
      ]);
      const [head] = (await trx.raw('SELECT last_seq FROM event_heads WHERE client_id = ? FOR UPDATE', [input.clientId])) as [
        { last_seq: string | number }[],
      ];
      const [[count]] = (await trx.raw('SELECT COUNT(*) AS n FROM webhook_endpoints WHERE client_id = ? AND deleted_at IS NULL', [
        input.clientId,
      ])) as [[{ n: number }]];
      if (Number(count.n) >= MAX_ENDPOINTS) {
        throw new WalletError('LIMIT_EXCEEDED', `at most ${MAX_ENDPOINTS} webhooks per client`, { details: { limit: MAX_ENDPOINTS } });
      }
      const id = newId('whk');
      const secret = newSecret();
      await trx('webhook_endpoints').insert({
        id,
        client_id: input.clientId,
        url,
        events: JSON.stringify(events),
        description: input.description ?? null,
        secret_box: box.seal(secret, endpointSecretContext(id)),
        status: 'active',
        cursor_seq: Number(head[0]?.last_seq ?? 0),
      });
      const row = await trx<EndpointRow>('webhook_endpoints').where({ id }).first();
      return { endpoint: endpointFromRow(row!), secret };
    },
    answerWithSecret(box, request),
  );
  return { ...value, replayed };
}

export async function listEndpoints(db: Knex, clientId: string): Promise<WebhookEndpoint[]> {
  const rows = await db<EndpointRow>('webhook_endpoints')
    .where({ client_id: clientId })
    .whereNull('deleted_at')
    .orderBy('created_at', 'desc');
  return rows.map(endpointFromRow);
}

/** @throws WalletError NOT_FOUND */
export async function getEndpoint(db: Knex, clientId: string, id: string): Promise<WebhookEndpoint> {
  return endpointFromRow(await liveRow(db, clientId, id));
}

export type UpdateEndpointInput = {
  readonly url?: string | undefined;
  readonly events?: readonly string[] | undefined;
  readonly description?: string | null | undefined;
  /** `active` re-enables a disabled endpoint (its failure run starts afresh); `disabled` pauses it. */
  readonly status?: 'active' | 'disabled' | undefined;
};

/** @throws WalletError NOT_FOUND, VALIDATION_FAILED */
export async function updateEndpoint(
  db: Knex,
  clientId: string,
  id: string,
  input: UpdateEndpointInput,
  policy: DestinationPolicy,
): Promise<WebhookEndpoint> {
  const url = input.url === undefined ? undefined : checkWebhookUrl(input.url, policy);
  const events = input.events === undefined ? undefined : checkEventTypes(input.events);
  return withTransaction(db, async (trx) => {
    const row = await liveRow(trx, clientId, id, true);
    const set: Record<string, unknown> = { updated_at: trx.raw('CURRENT_TIMESTAMP(3)') };
    if (url !== undefined) set['url'] = url;
    if (events !== undefined) set['events'] = JSON.stringify(events);
    if (input.description !== undefined) set['description'] = input.description;
    if (input.status === 'active' && row.status !== 'active')
      Object.assign(set, { status: 'active', disabled_reason: null, failing_since: null, lease_owner: null, lease_until: null });
    if (input.status === 'disabled' && row.status !== 'disabled')
      Object.assign(set, { status: 'disabled', disabled_reason: 'by_client', lease_owner: null, lease_until: null });
    await trx('webhook_endpoints').where({ id }).update(set);
    return endpointFromRow((await trx<EndpointRow>('webhook_endpoints').where({ id }).first())!);
  });
}

/**
 * Deletes an endpoint: nothing more is sent to it (what was queued is marked failed), and its secrets are wiped (never
 * used again, and not left behind under a key that rotation must keep). @throws WalletError NOT_FOUND
 */
export async function deleteEndpoint(db: Knex, clientId: string, id: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    await liveRow(trx, clientId, id, true);
    await trx('webhook_endpoints')
      .where({ id })
      .update({
        deleted_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        status: 'disabled',
        disabled_reason: 'deleted',
        secret: null,
        secret_box: null,
        previous_secret: null,
        previous_secret_box: null,
        previous_secret_until: null,
        lease_owner: null,
        lease_until: null,
      });
    await trx('webhook_deliveries')
      .where({ endpoint_id: id, status: 'queued' })
      .update({ status: 'failed', last_error: 'endpoint deleted', finished_at: trx.raw('CURRENT_TIMESTAMP(3)') });
  });
}

/**
 * A new signing secret; the old one also signs (a second `v1=`) for `overlapSeconds`, so receivers can switch without
 * refusing a delivery. @returns the new secret (shown once)
 * @throws WalletError NOT_FOUND, VALIDATION_FAILED (overlap)
 */
export async function rotateSecret(
  db: Knex,
  box: SecretBox,
  clientId: string,
  id: string,
  overlapSeconds: number,
  request: RequestKey = unkeyed(clientId),
): Promise<{ endpoint: WebhookEndpoint; secret: string; replayed: boolean }> {
  if (!Number.isSafeInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_OVERLAP_SECONDS) {
    throw invalid('body.overlapSeconds', `overlapSeconds must be 0-${MAX_OVERLAP_SECONDS}`);
  }
  const { value, replayed } = await requestOnce(
    db,
    request,
    async (trx) => {
      const row = await liveRow(trx, clientId, id, true);
      const secret = newSecret();
      const context = endpointSecretContext(id);
      // The current secret moves as it is sealed (same row, same context); one an older version left in plaintext is sealed.
      const previous = row.secret_box ?? (row.secret === null ? null : box.seal(row.secret, context));
      await trx('webhook_endpoints')
        .where({ id })
        .update({
          secret: null,
          secret_box: box.seal(secret, context),
          previous_secret: null,
          previous_secret_box: overlapSeconds > 0 ? previous : null,
          previous_secret_until: overlapSeconds > 0 ? trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND', [overlapSeconds]) : null,
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      return { endpoint: endpointFromRow((await trx<EndpointRow>('webhook_endpoints').where({ id }).first())!), secret };
    },
    answerWithSecret(box, request),
  );
  return { ...value, replayed };
}

/** Queues a `webhook.test` delivery (not in the feed), behind what is already queued. @throws WalletError NOT_FOUND */
export async function queueTest(
  db: Knex,
  clientId: string,
  id: string,
  request: RequestKey = unkeyed(clientId),
): Promise<{ deliveryId: number }> {
  return (await requestOnce(db, request, (trx) => queueTestIn(trx, clientId, id))).value;
}

async function queueTestIn(db: Knex.Transaction, clientId: string, id: string): Promise<{ deliveryId: number }> {
  const row = await liveRow(db, clientId, id);
  const eventId = newId('evtest');
  const body = JSON.stringify({
    id: eventId,
    seq: null,
    type: 'webhook.test',
    resourceType: 'webhook',
    resourceId: row.id,
    version: null,
    occurredAt: new Date().toISOString(),
    data: { id: row.id, url: row.url },
  });
  const [deliveryId] = await db('webhook_deliveries').insert({
    endpoint_id: row.id,
    client_id: clientId,
    kind: 'test',
    event_id: eventId,
    event_seq: null,
    event_type: 'webhook.test',
    body,
    status: 'queued',
  });
  return { deliveryId: Number(deliveryId) };
}

/**
 * Queues again the client's events with `fromSeq <= seq <= toSeq` that the endpoint subscribes to, in order, behind
 * what is already queued. @returns how many were queued
 * @throws WalletError NOT_FOUND, VALIDATION_FAILED (range)
 */
export async function redeliver(
  db: Knex,
  clientId: string,
  id: string,
  fromSeq: number,
  toSeq: number,
  request: RequestKey = unkeyed(clientId),
): Promise<number> {
  if (!(Number.isSafeInteger(fromSeq) && Number.isSafeInteger(toSeq) && fromSeq >= 1 && toSeq >= fromSeq)) {
    throw invalid('body', 'fromSeq and toSeq must be sequences with 1 <= fromSeq <= toSeq');
  }
  if (toSeq - fromSeq + 1 > MAX_REDELIVERY) throw invalid('body', `at most ${MAX_REDELIVERY} events per redelivery`);
  return (await requestOnce(db, request, (trx) => redeliverIn(trx, clientId, id, fromSeq, toSeq))).value;
}

async function redeliverIn(db: Knex.Transaction, clientId: string, id: string, fromSeq: number, toSeq: number): Promise<number> {
  const row = await liveRow(db, clientId, id);
  const events = JSON.parse(row.events) as string[];
  const feed = await readEvents(db, clientId, { after: fromSeq - 1, upTo: toSeq, limit: toSeq - fromSeq + 1 });
  const rows = feed.filter((e) => wants(events, e.type)).map((e) => deliveryRow(row.id, clientId, 'redelivery', e));
  if (rows.length > 0) await db('webhook_deliveries').insert(rows);
  return rows.length;
}

/** The body of an event's delivery: the feed's Event, exactly as `GET /v1/events` shows it. */
export function eventBody(e: FeedEvent): string {
  return JSON.stringify({
    seq: e.seq,
    id: e.id,
    type: e.type,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    version: e.version,
    occurredAt: e.occurredAt.toISOString(),
    data: JSON.parse(e.data) as unknown,
  });
}

export function deliveryRow(endpointId: string, clientId: string, kind: 'event' | 'redelivery', e: FeedEvent): Record<string, unknown> {
  return {
    endpoint_id: endpointId,
    client_id: clientId,
    kind,
    event_id: e.id,
    event_seq: Number(e.seq),
    event_type: e.type,
    body: eventBody(e),
    status: 'queued',
  };
}

export type DeliveryView = {
  readonly id: number;
  readonly kind: string;
  readonly eventId: string | null;
  readonly eventSeq: number | null;
  readonly eventType: string;
  readonly status: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
};

/** An endpoint's deliveries, newest first, before `beforeId` (paging). @throws WalletError NOT_FOUND */
export async function listDeliveries(db: Knex, clientId: string, id: string, limit: number, beforeId?: number): Promise<DeliveryView[]> {
  await liveRow(db, clientId, id);
  const q = db('webhook_deliveries').where({ endpoint_id: id }).orderBy('id', 'desc').limit(limit);
  if (beforeId !== undefined) void q.andWhere('id', '<', beforeId);
  const rows = (await q.select('*')) as {
    id: number;
    kind: string;
    event_id: string | null;
    event_seq: string | number | null;
    event_type: string;
    status: string;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    next_attempt_at: Date;
    created_at: Date;
    finished_at: Date | null;
  }[];
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    eventId: r.event_id,
    eventSeq: r.event_seq === null ? null : Number(r.event_seq),
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    nextAttemptAt: r.status === 'queued' ? r.next_attempt_at : null,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  }));
}
