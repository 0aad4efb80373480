import { eventTypes } from '@wallet/events';
import type { ApiDocument } from '@wallet/http-edge';
import type { Webhook, WebhookDelivery } from '@wallet/proto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { SIGNED, SIGNED_POST } from './errorSets.js';
import { EmptyBody } from './schemas.js';

const WebhookParams = z.object({ id: z.string().regex(/^whk_[0-9A-Za-z]{1,40}$/, 'id must be a webhook id') }).strict();
const EventTypes = z
  .array(z.enum(['*', ...eventTypes] as [string, ...string[]]))
  .min(1, 'events must name at least one event type (or "*")')
  .max(50)
  .meta({ description: 'The event types to receive (docs/api.md, Event types), or `["*"]` for all.' });
const Url = z.string().min(1).max(2048).meta({
  description: 'Where to POST: https with a public address in production (loopback, private and link-local addresses are refused).',
});
const Description = z.string().max(200);

export const CreateWebhookBody = z
  .object({ url: Url, events: EventTypes, description: Description.optional() })
  .strict()
  .meta({ id: 'CreateWebhookRequest' });
export const UpdateWebhookBody = z
  .object({
    url: Url.optional(),
    events: EventTypes.optional(),
    description: Description.nullable().optional(),
    status: z
      .enum(['active', 'disabled'])
      .optional()
      .meta({ description: '`active` re-enables a disabled webhook; `disabled` pauses it.' }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one of url, events, description, status')
  .meta({ id: 'UpdateWebhookRequest' });
export const RotateSecretBody = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional()
      .meta({ description: 'How long the old secret still signs too (a second `v1=`), 0-604800 s. @default 86400' }),
  })
  .strict()
  .meta({ id: 'RotateWebhookSecretRequest' });
const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const RedeliverBody = z
  .object({ fromSeq: Seq, toSeq: Seq })
  .strict()
  .refine((b) => b.toSeq >= b.fromSeq, { message: 'toSeq must not be below fromSeq', path: ['toSeq'] })
  .refine((b) => b.toSeq - b.fromSeq < 1000, { message: 'at most 1000 events per redelivery', path: ['toSeq'] })
  .meta({ id: 'RedeliverWebhookRequest' });
const DeliveriesQuery = z
  .object({
    limit: z
      .string()
      .regex(/^[0-9]{1,3}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(200))
      .optional(),
    before: z
      .string()
      .regex(/^[0-9]{1,15}$/, 'before must be a delivery id')
      .transform(Number)
      .optional(),
  })
  .strict();

const Timestamp = z.string().meta({ format: 'date-time' });
export const WebhookView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().nullable().meta({ description: '`by_client`, `failing` (3 days without a success); null while active.' }),
    failingSince: Timestamp.nullable().meta({
      description: 'When its current run of failed deliveries began; null when its last delivery succeeded.',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Webhook' });
const WebhookWithSecret = WebhookView.extend({
  secret: z.string().meta({ description: 'The signing secret: shown only here. Keep it as you keep your API secret.' }),
}).meta({ id: 'WebhookWithSecret' });
export const DeliveryView = z
  .object({
    id: z.number().int(),
    kind: z.enum(['event', 'redelivery', 'test']),
    eventId: z.string().nullable(),
    eventSeq: z.number().int().nullable(),
    eventType: z.string(),
    status: z.enum(['queued', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable().meta({ description: "The receiver's last HTTP status; null: none (no answer)." }),
    lastError: z.string().nullable(),
    nextAttemptAt: Timestamp.nullable(),
    createdAt: Timestamp,
    finishedAt: Timestamp.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export function webhookView(w: Webhook): z.infer<typeof WebhookView> {
  return {
    id: w.id,
    url: w.url,
    events: [...w.events],
    description: w.description || null,
    status: w.status as 'active' | 'disabled',
    disabledReason: w.disabledReason || null,
    failingSince: w.failingSince || null,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

function deliveryView(d: WebhookDelivery): z.infer<typeof DeliveryView> {
  return {
    id: Number(d.id),
    kind: d.kind as z.infer<typeof DeliveryView>['kind'],
    eventId: d.eventId || null,
    eventSeq: d.eventSeq === '0' ? null : Number(d.eventSeq),
    eventType: d.eventType,
    status: d.status as z.infer<typeof DeliveryView>['status'],
    attempts: d.attempts,
    lastStatus: d.lastStatus === 0 ? null : d.lastStatus,
    lastError: d.lastError || null,
    nextAttemptAt: d.nextAttemptAt || null,
    createdAt: d.createdAt,
    finishedAt: d.finishedAt || null,
  };
}

const NOT_FOUND = ['NOT_FOUND', 'SHARD_UNAVAILABLE'] as const;

/** Webhooks (docs/webhooks.md): register receivers of the event feed, manage them, test and redeliver. */
export function webhookRoutes(api: ApiDocument, deps: Pick<RouteDeps, 'shards' | 'upstreamTimeoutMs'>): FastifyPluginAsync {
  const { shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/webhooks',
        summary: 'Register a webhook: your events POSTed to a URL, signed',
        tags: ['webhooks'],
        security: 'signature',
        body: CreateWebhookBody,
        responses: {
          201: { description: 'Registered; it receives events from now on. The secret is shown only here.', schema: WebhookWithSecret },
        },
        errors: [...SIGNED_POST, 'LIMIT_EXCEEDED', 'SHARD_UNAVAILABLE'],
      },
      async ({ body }, request, reply) => {
        const claim = request.idempotency!;
        const res = await callAnyNode(shards, (c) =>
          c.createWebhook(
            {
              clientId: request.client.clientId,
              url: body.url,
              events: body.events,
              description: body.description ?? '',
              idempotencyKey: claim.key,
              requestHash: claim.hash,
            },
            { timeoutMs },
          ),
        );
        // A retry of a registration: transrv's answer to the first request (the gateway keeps none holding a secret).
        if (res.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send({ ...webhookView(res.webhook!), secret: res.secret });
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/webhooks',
        summary: 'Your webhooks',
        tags: ['webhooks'],
        security: 'signature',
        responses: {
          200: { description: 'Newest first; at most 20.', schema: z.object({ data: z.array(WebhookView) }).meta({ id: 'WebhookList' }) },
        },
        errors: [...SIGNED, 'SHARD_UNAVAILABLE'],
      },
      async (_input, request) => {
        const res = await callAnyNode(shards, (c) => c.listWebhooks({ clientId: request.client.clientId }, { timeoutMs }));
        return { data: res.webhooks.map(webhookView) };
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/webhooks/:id',
        summary: 'One webhook',
        tags: ['webhooks'],
        security: 'signature',
        params: WebhookParams,
        responses: { 200: { description: 'The webhook.', schema: WebhookView } },
        errors: [...SIGNED, ...NOT_FOUND],
      },
      async ({ params }, request) =>
        webhookView(
          await callAnyNode(shards, (c) => c.getWebhook({ clientId: request.client.clientId, webhookId: params.id }, { timeoutMs })),
        ),
    );

    api.route(
      app,
      {
        method: 'PATCH',
        path: '/webhooks/:id',
        summary: 'Change a webhook: URL, event types, description, or re-enable / pause it',
        tags: ['webhooks'],
        security: 'signature',
        params: WebhookParams,
        body: UpdateWebhookBody,
        responses: { 200: { description: 'The webhook as changed.', schema: WebhookView } },
        errors: [...SIGNED, 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', ...NOT_FOUND],
      },
      async ({ params, body }, request) => {
        const res = await callAnyNode(shards, (c) =>
          c.updateWebhook(
            {
              clientId: request.client.clientId,
              webhookId: params.id,
              ...(body.url === undefined ? {} : { url: body.url }),
              events: body.events ?? [],
              setEvents: body.events !== undefined,
              ...(body.description === undefined ? {} : { description: body.description ?? '' }),
              status: body.status ?? '',
            },
            { timeoutMs },
          ),
        );
        return webhookView(res);
      },
    );

    api.route(
      app,
      {
        method: 'DELETE',
        path: '/webhooks/:id',
        summary: 'Delete a webhook (nothing more is sent to it)',
        tags: ['webhooks'],
        security: 'signature',
        params: WebhookParams,
        responses: { 204: { description: 'Deleted.' } },
        errors: [...SIGNED, ...NOT_FOUND],
      },
      async ({ params }, request, reply) => {
        await callAnyNode(shards, (c) => c.deleteWebhook({ clientId: request.client.clientId, webhookId: params.id }, { timeoutMs }));
        return reply.code(204).send();
      },
    );

    api.route(
      app,
      {
        method: 'POST',
        path: '/webhooks/:id/rotate-secret',
        summary: 'A new signing secret (the old one keeps signing too during the overlap)',
        tags: ['webhooks'],
        security: 'signature',
        params: WebhookParams,
        body: RotateSecretBody,
        bodyOptional: true,
        responses: { 200: { description: 'The new secret, shown only here.', schema: WebhookWithSecret } },
        errors: [...SIGNED_POST, ...NOT_FOUND],
      },
      async ({ params, body }, request, reply) => {
        const claim = request.idempotency!;
        const res = await callAnyNode(shards, (c) =>
          c.rotateWebhookSecret(
            {
              clientId: request.client.clientId,
              webhookId: params.id,
              overlapSeconds: body.overlapSeconds ?? 86_400,
              idempotencyKey: claim.key,
              requestHash: claim.hash,
            },
            { timeoutMs },
          ),
        );
        if (res.replayed) reply.header('idempotent-replayed', 'true');
        return { ...webhookView(res.webhook!), secret: res.secret };
      },
    );

    api.route(
      app,
      {
        method: 'POST',
        path: '/webhooks/:id/test',
        summary: 'Send a `webhook.test` delivery (queued behind what is waiting)',
        tags: ['webhooks'],
        security: 'signature',
        params: WebhookParams,
        body: EmptyBody,
        bodyOptional: true,
        responses: {
          202: { description: 'Queued.', schema: z.object({ deliveryId: z.number().int() }).meta({ id: 'WebhookTestQueued' }) },
        },
        errors: [...SIGNED_POST, ...NOT_FOUND],
      },
      async ({ params }, request, reply) => {
        const claim = request.idempotency!;
        const res = await callAnyNode(shards, (c) =>
          c.testWebhook(
            { clientId: request.client.clientId, webhookId: params.id, idempotencyKey: claim.key, requestHash: claim.hash },
            { timeoutMs },
          ),
        );
        return reply.code(202).send({ deliveryId: Number(res.deliveryId) });
      },
    );

    api.route(
      app,
      {
        method: 'POST',
        path: '/webhooks/:id/redeliver',
        summary: 'Send again the events of a range of your feed that the webhook subscribes to',
        tags: ['webhooks'],
        security: 'signature',
        params: WebhookParams,
        body: RedeliverBody,
        responses: {
          202: {
            description: 'Queued, in order, behind what is waiting.',
            schema: z.object({ queued: z.number().int() }).meta({ id: 'WebhookRedeliveryQueued' }),
          },
        },
        errors: [...SIGNED_POST, ...NOT_FOUND],
      },
      async ({ params, body }, request, reply) => {
        const claim = request.idempotency!;
        const res = await callAnyNode(shards, (c) =>
          c.redeliverWebhook(
            {
              clientId: request.client.clientId,
              webhookId: params.id,
              fromSeq: String(body.fromSeq),
              toSeq: String(body.toSeq),
              idempotencyKey: claim.key,
              requestHash: claim.hash,
            },
            { timeoutMs },
          ),
        );
        return reply.code(202).send({ queued: res.queued });
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/webhooks/:id/deliveries',
        summary: "A webhook's deliveries, newest first",
        tags: ['webhooks'],
        security: 'signature',
        params: WebhookParams,
        query: DeliveriesQuery,
        responses: {
          200: {
            description: 'Newest first; page with `before` = the last id.',
            schema: z.object({ data: z.array(DeliveryView) }).meta({ id: 'WebhookDeliveryList' }),
          },
        },
        errors: [...SIGNED, ...NOT_FOUND],
      },
      async ({ params, query }, request) => {
        const res = await callAnyNode(shards, (c) =>
          c.listWebhookDeliveries(
            { clientId: request.client.clientId, webhookId: params.id, limit: query.limit ?? 50, beforeId: String(query.before ?? 0) },
            { timeoutMs },
          ),
        );
        return { data: res.deliveries.map(deliveryView) };
      },
    );
  };
}
