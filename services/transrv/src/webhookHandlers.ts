import type { Db } from '@wallet/db';
import { IdempotencyKey, ObjectId } from '@wallet/ids';
import type { TransServiceService, Webhook, WebhookDelivery } from '@wallet/proto';
import { type ServiceHandlers, parseRequest } from '@wallet/rpc';
import {
  type DeliveryView,
  type DestinationPolicy,
  type RequestKey,
  type WebhookEndpoint,
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  queueTest,
  redeliver,
  rotateSecret,
  updateEndpoint,
} from '@wallet/webhooks';
import type { SecretBox } from '@wallet/secret-box';
import { z } from 'zod';

// The client's webhooks over gRPC (any node answers: the tables are shared). The rules are @wallet/webhooks'; the
// gateway has checked the shapes already, these schemas only bound what reaches MySQL.

const Ref = z.object({ clientId: ObjectId, webhookId: ObjectId });
const Keyed = { idempotencyKey: IdempotencyKey, requestHash: z.string().min(1).max(64) };
const key = (r: { clientId: string; idempotencyKey: string; requestHash: string }): RequestKey => ({
  clientId: r.clientId,
  key: r.idempotencyKey,
  hash: r.requestHash,
});
const Events = z.array(z.string().max(64)).max(50);
const Create = z.object({ clientId: ObjectId, url: z.string().max(4096), events: Events, description: z.string().max(200), ...Keyed });
const Test = Ref.extend(Keyed);
const Update = Ref.extend({
  url: z.string().max(4096).optional(),
  events: Events,
  setEvents: z.boolean(),
  description: z.string().max(200).optional(),
  status: z.enum(['', 'active', 'disabled']),
});
const Rotate = Ref.extend({ overlapSeconds: z.number().int().min(0), ...Keyed });
const Seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Redeliver = Ref.extend({ fromSeq: Seq, toSeq: Seq, ...Keyed });
const Deliveries = Ref.extend({ limit: z.number().int().min(1).max(200), beforeId: Seq });

function webhookRecord(e: WebhookEndpoint): Webhook {
  return {
    id: e.id,
    url: e.url,
    events: [...e.events],
    description: e.description ?? '',
    status: e.status,
    disabledReason: e.disabledReason ?? '',
    failingSince: e.failingSince?.toISOString() ?? '',
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

function deliveryRecord(d: DeliveryView): WebhookDelivery {
  return {
    id: String(d.id),
    kind: d.kind,
    eventId: d.eventId ?? '',
    eventSeq: String(d.eventSeq ?? 0),
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatus: d.lastStatus ?? 0,
    lastError: d.lastError ?? '',
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? '',
    createdAt: d.createdAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? '',
  };
}

type WebhookMethods = Pick<
  ServiceHandlers<typeof TransServiceService>,
  | 'createWebhook'
  | 'listWebhooks'
  | 'getWebhook'
  | 'updateWebhook'
  | 'deleteWebhook'
  | 'rotateWebhookSecret'
  | 'testWebhook'
  | 'redeliverWebhook'
  | 'listWebhookDeliveries'
>;

/** transrv's webhook methods. @param policy which receivers are allowed (production: public https only) */
export function webhookHandlers(db: Db, secrets: SecretBox, policy: DestinationPolicy): WebhookMethods {
  return {
    createWebhook: async (raw) => {
      const req = parseRequest(Create, raw);
      const { endpoint, secret, replayed } = await createEndpoint(
        db,
        secrets,
        { clientId: req.clientId, url: req.url, events: req.events, description: req.description || undefined },
        policy,
        key(req),
      );
      return { webhook: webhookRecord(endpoint), secret, replayed };
    },
    listWebhooks: async (raw) => {
      const req = parseRequest(z.object({ clientId: ObjectId }), raw);
      return { webhooks: (await listEndpoints(db, req.clientId)).map(webhookRecord) };
    },
    getWebhook: async (raw) => {
      const req = parseRequest(Ref, raw);
      return webhookRecord(await getEndpoint(db, req.clientId, req.webhookId));
    },
    updateWebhook: async (raw) => {
      const req = parseRequest(Update, raw);
      const endpoint = await updateEndpoint(
        db,
        req.clientId,
        req.webhookId,
        {
          url: req.url,
          events: req.setEvents ? req.events : undefined,
          description: req.description === undefined ? undefined : req.description || null,
          status: req.status || undefined,
        },
        policy,
      );
      return webhookRecord(endpoint);
    },
    deleteWebhook: async (raw) => {
      const req = parseRequest(Ref, raw);
      await deleteEndpoint(db, req.clientId, req.webhookId);
      return {};
    },
    rotateWebhookSecret: async (raw) => {
      const req = parseRequest(Rotate, raw);
      const { endpoint, secret, replayed } = await rotateSecret(db, secrets, req.clientId, req.webhookId, req.overlapSeconds, key(req));
      return { webhook: webhookRecord(endpoint), secret, replayed };
    },
    testWebhook: async (raw) => {
      const req = parseRequest(Test, raw);
      const { deliveryId } = await queueTest(db, req.clientId, req.webhookId, key(req));
      return { deliveryId: String(deliveryId) };
    },
    redeliverWebhook: async (raw) => {
      const req = parseRequest(Redeliver, raw);
      return { queued: await redeliver(db, req.clientId, req.webhookId, req.fromSeq, req.toSeq, key(req)) };
    },
    listWebhookDeliveries: async (raw) => {
      const req = parseRequest(Deliveries, raw);
      const list = await listDeliveries(db, req.clientId, req.webhookId, req.limit, req.beforeId === 0 ? undefined : req.beforeId);
      return { deliveries: list.map(deliveryRecord) };
    },
  };
}
