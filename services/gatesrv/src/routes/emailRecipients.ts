import { eventTypes } from '@wallet/events';
import type { ApiDocument } from '@wallet/http-edge';
import type { EmailRecipient } from '@wallet/proto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { SIGNED, SIGNED_POST } from './errorSets.js';

const RecipientParams = z.object({ id: z.string().regex(/^erc_[0-9A-Za-z]{1,40}$/, 'id must be an email recipient id') }).strict();
const EventTypes = z
  .array(z.enum(['*', ...eventTypes] as [string, ...string[]]))
  .min(1, 'events must name at least one event type (or "*")')
  .max(50)
  .meta({ description: 'The event types to mail (docs/api.md, Event types), or `["*"]` for all.' });
const Locale = z.enum(['en', 'zh']).meta({ description: 'The language of the emails. @default en' });

export const CreateRecipientBody = z
  .object({
    email: z.string().min(3).max(254).meta({ description: 'One address, like `ops@exchange.example`.' }),
    events: EventTypes,
    locale: Locale.optional(),
  })
  .strict()
  .meta({ id: 'CreateEmailRecipientRequest' });
export const UpdateRecipientBody = z
  .object({ events: EventTypes.optional(), locale: Locale.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one of events, locale')
  .meta({ id: 'UpdateEmailRecipientRequest' });

const Timestamp = z.string().meta({ format: 'date-time' });
export const RecipientView = z
  .object({
    id: z.string(),
    email: z.string(),
    locale: z.enum(['en', 'zh']),
    events: z.array(z.string()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'EmailRecipient' });

const view = (r: EmailRecipient): z.infer<typeof RecipientView> => ({
  id: r.id,
  email: r.email,
  locale: r.locale as 'en' | 'zh',
  events: [...r.events],
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const NOT_FOUND = ['NOT_FOUND', 'SHARD_UNAVAILABLE'] as const;

/** Notification email addresses (docs/api.md, Email notifications): who is mailed which of the client's events. */
export function emailRecipientRoutes(api: ApiDocument, deps: Pick<RouteDeps, 'shards' | 'upstreamTimeoutMs'>): FastifyPluginAsync {
  const { shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/email-recipients',
        summary: 'Add a notification address: your events of the chosen types mailed to it',
        tags: ['notifications'],
        security: 'signature',
        body: CreateRecipientBody,
        responses: {
          201: { description: 'Added; it is mailed events from now on.', schema: RecipientView },
          200: { description: 'The address was added already: that recipient, unchanged (change it with PATCH).', schema: RecipientView },
        },
        errors: [...SIGNED_POST, 'LIMIT_EXCEEDED', 'SHARD_UNAVAILABLE'],
      },
      async ({ body }, request, reply) => {
        const res = await callAnyNode(shards, (c) =>
          c.createEmailRecipient(
            { clientId: request.client.clientId, email: body.email, events: body.events, locale: body.locale ?? '' },
            { timeoutMs },
          ),
        );
        return reply.code(res.created ? 201 : 200).send(view(res.recipient!));
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/email-recipients',
        summary: 'Your notification addresses',
        tags: ['notifications'],
        security: 'signature',
        responses: {
          200: {
            description: 'Newest first; at most 10.',
            schema: z.object({ data: z.array(RecipientView) }).meta({ id: 'EmailRecipientList' }),
          },
        },
        errors: [...SIGNED, 'SHARD_UNAVAILABLE'],
      },
      async (_input, request) => {
        const res = await callAnyNode(shards, (c) => c.listEmailRecipients({ clientId: request.client.clientId }, { timeoutMs }));
        return { data: res.recipients.map(view) };
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/email-recipients/:id',
        summary: 'One notification address',
        tags: ['notifications'],
        security: 'signature',
        params: RecipientParams,
        responses: { 200: { description: 'The recipient.', schema: RecipientView } },
        errors: [...SIGNED, ...NOT_FOUND],
      },
      async ({ params }, request) =>
        view(
          await callAnyNode(shards, (c) =>
            c.getEmailRecipient({ clientId: request.client.clientId, recipientId: params.id }, { timeoutMs }),
          ),
        ),
    );

    api.route(
      app,
      {
        method: 'PATCH',
        path: '/email-recipients/:id',
        summary: 'Change the event types or the language mailed to an address',
        tags: ['notifications'],
        security: 'signature',
        params: RecipientParams,
        body: UpdateRecipientBody,
        responses: { 200: { description: 'The recipient as changed (from the next event on).', schema: RecipientView } },
        errors: [...SIGNED, 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', ...NOT_FOUND],
      },
      async ({ params, body }, request) =>
        view(
          await callAnyNode(shards, (c) =>
            c.updateEmailRecipient(
              {
                clientId: request.client.clientId,
                recipientId: params.id,
                events: body.events ?? [],
                setEvents: body.events !== undefined,
                locale: body.locale ?? '',
              },
              { timeoutMs },
            ),
          ),
        ),
    );

    api.route(
      app,
      {
        method: 'DELETE',
        path: '/email-recipients/:id',
        summary: 'Remove a notification address (what is queued for it is not sent)',
        tags: ['notifications'],
        security: 'signature',
        params: RecipientParams,
        responses: { 204: { description: 'Removed.' } },
        errors: [...SIGNED, ...NOT_FOUND],
      },
      async ({ params }, request, reply) => {
        await callAnyNode(shards, (c) =>
          c.deleteEmailRecipient({ clientId: request.client.clientId, recipientId: params.id }, { timeoutMs }),
        );
        return reply.code(204).send();
      },
    );
  };
}
