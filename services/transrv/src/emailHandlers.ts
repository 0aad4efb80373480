import type { Db } from '@wallet/db';
import { type EmailRecipient, createRecipient, deleteRecipient, getRecipient, listRecipients, updateRecipient } from '@wallet/email';
import { ObjectId } from '@wallet/ids';
import type { EmailRecipient as EmailRecipientRecord, TransServiceService } from '@wallet/proto';
import { type ServiceHandlers, parseRequest } from '@wallet/rpc';
import { z } from 'zod';

// The client's notification addresses over gRPC (any node answers: the tables are shared). The rules are
// @wallet/email's; the gateway has checked the shapes already, these schemas only bound what reaches MySQL.

const Ref = z.object({ clientId: ObjectId, recipientId: ObjectId });
const Events = z.array(z.string().max(64)).max(50);
const Create = z.object({ clientId: ObjectId, email: z.string().max(320), events: Events, locale: z.string().max(8) });
const Update = Ref.extend({ events: Events, setEvents: z.boolean(), locale: z.string().max(8) });

function record(r: EmailRecipient): EmailRecipientRecord {
  return {
    id: r.id,
    email: r.email,
    locale: r.locale,
    events: [...r.events],
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

type EmailMethods = Pick<
  ServiceHandlers<typeof TransServiceService>,
  'createEmailRecipient' | 'listEmailRecipients' | 'getEmailRecipient' | 'updateEmailRecipient' | 'deleteEmailRecipient'
>;

/** transrv's notification-address methods. */
export function emailHandlers(db: Db): EmailMethods {
  return {
    createEmailRecipient: async (raw) => {
      const req = parseRequest(Create, raw);
      const { recipient, created } = await createRecipient(db, {
        clientId: req.clientId,
        email: req.email,
        events: req.events,
        locale: req.locale || undefined,
      });
      return { recipient: record(recipient), created };
    },
    listEmailRecipients: async (raw) => {
      const req = parseRequest(z.object({ clientId: ObjectId }), raw);
      return { recipients: (await listRecipients(db, req.clientId)).map(record) };
    },
    getEmailRecipient: async (raw) => {
      const req = parseRequest(Ref, raw);
      return record(await getRecipient(db, req.clientId, req.recipientId));
    },
    updateEmailRecipient: async (raw) => {
      const req = parseRequest(Update, raw);
      const updated = await updateRecipient(db, req.clientId, req.recipientId, {
        events: req.setEvents ? req.events : undefined,
        locale: req.locale || undefined,
      });
      return record(updated);
    },
    deleteEmailRecipient: async (raw) => {
      const req = parseRequest(Ref, raw);
      await deleteRecipient(db, req.clientId, req.recipientId);
      return {};
    },
  };
}
