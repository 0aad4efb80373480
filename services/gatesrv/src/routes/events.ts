import { eventTypes } from '@wallet/events';
import type { ApiDocument } from '@wallet/http-edge';
import type { ClientEvent } from '@wallet/proto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { SIGNED } from './errorSets.js';

const Seq = z
  .string()
  .regex(/^[0-9]{1,15}$/, 'must be a sequence number (0 or more)')
  .transform(Number)
  .meta({ description: 'A sequence number of your feed (0: before the first event).' });

export const EventsQuery = z
  .object({
    after: Seq.optional(),
    limit: z
      .string()
      .regex(/^[0-9]{1,4}$/, 'limit must be 1-1000')
      .transform(Number)
      .pipe(z.number().int().min(1, 'limit must be 1-1000').max(1000, 'limit must be 1-1000'))
      .optional()
      .meta({ description: 'At most this many events (1-1000). @default 100' }),
    wait: z
      .string()
      .regex(/^[0-9]{1,2}$/, 'wait must be 0-30 seconds')
      .transform(Number)
      .pipe(z.number().int().max(30, 'wait must be 0-30 seconds'))
      .optional()
      .meta({
        description:
          'Long poll: when nothing follows `after`, answer as soon as something does, or after this many seconds (0-30). @default 0',
      }),
  })
  .strict();

export const EventStreamQuery = z.object({ after: Seq.optional() }).strict();

export const EventTypeEnum = z
  .enum(eventTypes as [string, ...string[]])
  .meta({ id: 'EventType', description: 'What happened (docs/api.md, Event types).' });

export const EventView = z
  .object({
    seq: z.number().int().meta({ description: "Your feed's sequence: 1, 2, 3... with no gap, in the order the changes committed." }),
    id: z.string().meta({ description: 'The event id (unique; the same in the feed, the stream and webhooks).' }),
    type: EventTypeEnum,
    resourceType: z.enum(['deposit', 'withdrawal', 'transfer', 'webhook']),
    resourceId: z.string(),
    version: z.number().int().meta({ description: "The resource's version: 1 for its first event, one more for each next." }),
    occurredAt: z.string().meta({ format: 'date-time', description: 'When the change committed.' }),
    data: z.record(z.string(), z.unknown()).meta({ description: 'The resource after the change (docs/api.md, Events).' }),
  })
  .meta({ id: 'Event' });

const EventPage = z
  .object({
    data: z.array(EventView),
    next: z.number().int().meta({ description: "Pass as `after` for what follows (the last event's seq, or `after` itself)." }),
    lastSeq: z.number().int().meta({ description: "Your feed's last sequence when read: `next < lastSeq` means more is waiting." }),
  })
  .meta({ id: 'EventPage' });

export function eventView(e: ClientEvent): z.infer<typeof EventView> {
  return {
    seq: Number(e.seq),
    id: e.id,
    type: e.type,
    resourceType: e.resourceType as z.infer<typeof EventView>['resourceType'],
    resourceId: e.resourceId,
    version: e.version,
    occurredAt: e.occurredAt,
    data: JSON.parse(e.dataJson) as Record<string, unknown>,
  };
}

/** What wakes a reader waiting on a client's feed (the gateway's {@link import('../EventWaiter.js').EventWaiter}). */
export type EventWakeups = {
  wait(clientId: string, after: number, maxMs: number, signal?: AbortSignal): Promise<void>;
};

/** How often a stream says it is alive when nothing happens (proxies close idle connections). */
const KEEPALIVE_MS = 15_000;

/**
 * The client's event feed (docs/api.md, Events): a page after a sequence, with a long poll, and the same events as a
 * live stream of Server-Sent Events. Both read MySQL through any transrv node; the gateway's {@link EventWaiter} only
 * says when to look again.
 */
export function eventRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'shards' | 'upstreamTimeoutMs'> & { readonly events: EventWakeups },
): FastifyPluginAsync {
  const { shards, upstreamTimeoutMs: timeoutMs, events } = deps;
  const read = (clientId: string, after: number, limit: number) =>
    callAnyNode(shards, (c) => c.listEvents({ clientId, after: String(after), limit }, { timeoutMs }));
  return async (app) => {
    // Open streams and long polls end when the gateway shuts down (fastify waits for in-flight requests).
    const closing = new AbortController();
    app.addHook('preClose', (done) => {
      closing.abort();
      done();
    });

    api.route(
      app,
      {
        method: 'GET',
        path: '/events',
        summary: 'Your event feed: every change to your deposits, withdrawals and transfers, in order',
        description:
          'Events after `after`, oldest first. With `wait`, an empty answer is held until an event arrives or `wait` seconds pass. Page with `after=next`.',
        tags: ['events'],
        security: 'signature',
        query: EventsQuery,
        responses: { 200: { description: 'Oldest first.', schema: EventPage } },
        errors: [...SIGNED, 'SHARD_UNAVAILABLE'],
      },
      async ({ query }, request) => {
        const clientId = request.client.clientId;
        const after = query.after ?? 0;
        const limit = query.limit ?? 100;
        const deadline = Date.now() + (query.wait ?? 0) * 1000;
        const gone = new AbortController();
        request.raw.once('close', () => gone.abort());
        for (;;) {
          const page = await read(clientId, after, limit);
          const left = deadline - Date.now();
          if (page.events.length > 0 || left <= 0 || closing.signal.aborted || gone.signal.aborted) {
            const data = page.events.map(eventView);
            return { data, next: data.at(-1)?.seq ?? after, lastSeq: Number(page.lastSeq) };
          }
          await events.wait(clientId, after, left, AbortSignal.any([closing.signal, gone.signal]));
        }
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/events/stream',
        summary: 'Your events as they happen (Server-Sent Events)',
        description:
          'A `text/event-stream`: each event as `id: <seq>`, `event: <type>`, `data: <the Event as JSON>`, from `after` (or the `Last-Event-ID` header) on; a comment line every 15 s while nothing happens. Reconnect with `after` = the last id you handled.',
        tags: ['events'],
        security: 'signature',
        query: EventStreamQuery,
        responses: { 200: { description: 'The stream (text/event-stream), open until you close it.', contentType: 'text/event-stream' } },
        errors: [...SIGNED, 'SHARD_UNAVAILABLE'],
      },
      async ({ query }, request, reply) => {
        const clientId = request.client.clientId;
        const lastEventId = request.headers['last-event-id'];
        let after = query.after ?? (typeof lastEventId === 'string' && /^[0-9]{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0);
        // The first read before the stream opens: an outage is still an ordinary error answer.
        let page = await read(clientId, after, 500);
        const gone = new AbortController();
        request.raw.once('close', () => gone.abort());
        const stop = AbortSignal.any([closing.signal, gone.signal]);
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'x-request-id': request.id,
          connection: 'keep-alive',
        });
        out.write('retry: 2000\n\n');
        let quietSince = Date.now();
        try {
          while (!stop.aborted) {
            for (const e of page.events.map(eventView)) {
              out.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
              after = e.seq;
              quietSince = Date.now();
            }
            if (page.events.length < 500) {
              if (Date.now() - quietSince >= KEEPALIVE_MS) {
                out.write(': keepalive\n\n');
                quietSince = Date.now();
              }
              await events.wait(clientId, after, KEEPALIVE_MS, stop);
            }
            if (stop.aborted) break;
            page = await read(clientId, after, 500);
          }
        } catch (error) {
          // Mid-stream the status is sent: say why in the stream, then close; the client reconnects from its last id.
          request.log.warn({ err: error }, 'event stream ended by an error');
          if (!out.writableEnded) out.write(`event: error\ndata: ${JSON.stringify({ code: 'UNAVAILABLE' })}\n\n`);
        } finally {
          out.end();
        }
      },
    );
  };
}
