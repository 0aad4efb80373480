import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { checkEventTypes } from '@wallet/events';
import { newId } from '@wallet/ids';
import { type Locale, locales } from './templates.js';

/** At most this many notification addresses per client. */
export const MAX_RECIPIENTS = 10;

export type EmailRecipient = {
  readonly id: string;
  readonly email: string;
  readonly locale: Locale;
  readonly events: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
};

export type RecipientRow = {
  id: string;
  client_id: string;
  email: string;
  locale: Locale;
  events: string;
  cursor_seq: string | number;
  created_at: Date;
  updated_at: Date;
};

const fromRow = (r: RecipientRow): EmailRecipient => ({
  id: r.id,
  email: r.email,
  locale: r.locale,
  events: JSON.parse(r.events) as string[],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const invalid = (field: string, message: string): WalletError =>
  new WalletError('VALIDATION_FAILED', message, { details: { issues: [{ field, message }] } });

/**
 * An address as stored: trimmed, its domain lower-cased (the local part is the receiving server's business), at most
 * 254 characters, one `@`, no spaces, quotes, angle brackets or control characters (nothing that could add a header
 * or a second recipient). @throws WalletError VALIDATION_FAILED
 */
export function checkEmail(raw: string): string {
  const email = raw.trim();
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (
    email.length > 254 ||
    at < 1 ||
    local.length > 64 ||
    // eslint-disable-next-line no-control-regex
    /[\s"<>(),;:\\[\]@\u0000-\u001f\u007f]/.test(local) ||
    !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^localhost$/.test(domain)
  ) {
    throw invalid('body.email', 'email must be an address like name@example.com');
  }
  return `${local}@${domain}`;
}

function checkLocale(locale: string): Locale {
  if (!(locales as readonly string[]).includes(locale)) throw invalid('body.locale', `locale must be one of ${locales.join(', ')}`);
  return locale as Locale;
}

async function row(db: Knex, clientId: string, id: string, forUpdate = false): Promise<RecipientRow> {
  const q = db<RecipientRow>('email_recipients').where({ id, client_id: clientId });
  const found = await (forUpdate ? q.forUpdate() : q).first();
  // Another client's recipient is as absent as one that does not exist.
  if (!found) throw new WalletError('NOT_FOUND', 'no such email recipient', { details: { recipientId: id } });
  return found;
}

export type CreateRecipientInput = {
  readonly clientId: string;
  readonly email: string;
  readonly events: readonly string[];
  readonly locale?: string | undefined;
};

/**
 * Adds a notification address; it is mailed the client's events of the chosen types from now on. The same address
 * again is the same recipient, unchanged (`created: false`): the POST is idempotent by its address.
 * @throws WalletError VALIDATION_FAILED, LIMIT_EXCEEDED
 */
export async function createRecipient(db: Knex, input: CreateRecipientInput): Promise<{ recipient: EmailRecipient; created: boolean }> {
  const email = checkEmail(input.email);
  const events = checkEventTypes(input.events);
  const locale = checkLocale(input.locale ?? 'en');
  const attempt = () =>
    withTransaction(db, async (trx) => {
      // Under the client's lock on its feed head: the count cannot be passed by two at once, and the cursor is the head.
      await trx.raw('INSERT INTO event_heads (client_id, last_seq) VALUES (?, 0) ON DUPLICATE KEY UPDATE client_id = client_id', [
        input.clientId,
      ]);
      const [head] = (await trx.raw('SELECT last_seq FROM event_heads WHERE client_id = ? FOR UPDATE', [input.clientId])) as [
        { last_seq: string | number }[],
      ];
      const existing = await trx<RecipientRow>('email_recipients').where({ client_id: input.clientId, email }).first();
      if (existing) return { recipient: fromRow(existing), created: false };
      const [[count]] = (await trx.raw('SELECT COUNT(*) AS n FROM email_recipients WHERE client_id = ?', [input.clientId])) as [
        [{ n: number }],
      ];
      if (Number(count.n) >= MAX_RECIPIENTS) {
        throw new WalletError('LIMIT_EXCEEDED', `at most ${MAX_RECIPIENTS} email recipients per client`, {
          details: { limit: MAX_RECIPIENTS },
        });
      }
      const id = newId('erc');
      await trx('email_recipients').insert({
        id,
        client_id: input.clientId,
        email,
        locale,
        events: JSON.stringify(events),
        cursor_seq: Number(head[0]?.last_seq ?? 0),
      });
      return { recipient: fromRow((await trx<RecipientRow>('email_recipients').where({ id }).first())!), created: true };
    });
  try {
    return await attempt();
  } catch (error) {
    if (isDuplicateKey(error)) return attempt();
    throw error;
  }
}

export async function listRecipients(db: Knex, clientId: string): Promise<EmailRecipient[]> {
  const rows = await db<RecipientRow>('email_recipients')
    .where({ client_id: clientId })
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc');
  return rows.map(fromRow);
}

/** @throws WalletError NOT_FOUND */
export async function getRecipient(db: Knex, clientId: string, id: string): Promise<EmailRecipient> {
  return fromRow(await row(db, clientId, id));
}

export type UpdateRecipientInput = { readonly events?: readonly string[] | undefined; readonly locale?: string | undefined };

/** Changes what an address is mailed, from the next event on. @throws WalletError NOT_FOUND, VALIDATION_FAILED */
export async function updateRecipient(db: Knex, clientId: string, id: string, input: UpdateRecipientInput): Promise<EmailRecipient> {
  const set: Record<string, unknown> = {};
  if (input.events !== undefined) set['events'] = JSON.stringify(checkEventTypes(input.events));
  if (input.locale !== undefined) set['locale'] = checkLocale(input.locale);
  if (Object.keys(set).length === 0) throw invalid('body', 'give at least one of events, locale');
  return withTransaction(db, async (trx) => {
    await row(trx, clientId, id, true);
    await trx('email_recipients')
      .where({ id })
      .update({ ...set, updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    return fromRow((await trx<RecipientRow>('email_recipients').where({ id }).first())!);
  });
}

/** Removes an address; its queued emails are not sent. @throws WalletError NOT_FOUND */
export async function deleteRecipient(db: Knex, clientId: string, id: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    await row(trx, clientId, id, true);
    await trx('email_recipients').where({ id }).delete();
    await trx('email_outbox')
      .where({ recipient_id: id, status: 'queued' })
      .update({ status: 'failed', last_error: 'recipient removed', claimed_by: null, claim_until: null });
  });
}
