import { randomBytes } from 'node:crypto';
import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { readEvents, wants } from '@wallet/events';
import { PeriodicTask } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import { type Transporter, createTransport } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { RecipientRow } from './recipients.js';
import { renderEmail } from './templates.js';

/** About 1 min, 5 min, 30 min, then every 2 h, until {@link EmailNotifierOptions.giveUpAfterMs}. */
export const DEFAULT_EMAIL_RETRY_MS: readonly number[] = [60_000, 300_000, 1_800_000, 7_200_000];

export type EmailNotifierOptions = {
  readonly db: Knex;
  /** This transrv node (its claims on outbox rows carry it). */
  readonly nodeId: string;
  readonly log: Logger;
  /** The SMTP server: `smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://` (TLS from the start). */
  readonly smtpUrl: string;
  /** The From header, e.g. `Wallet <wallet@exchange.example>`. */
  readonly from: string;
  /** The waits before each retry of a temporarily failed email; the last repeats. @default DEFAULT_EMAIL_RETRY_MS */
  readonly retryScheduleMs?: readonly number[];
  /** An email still failing this long after it was queued is given up. @default 24 h */
  readonly giveUpAfterMs?: number;
  /** How long a claimed email is this node's to send (a crashed node's claims are taken over after it). @default 60_000 */
  readonly claimMs?: number;
  /** @default 500 */
  readonly intervalMs?: number;
  /** Emails sent per pass at most. @default 20 */
  readonly batch?: number;
};

type OutboxRow = {
  id: number;
  event_id: string;
  event_type: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  attempts: number;
  created_at: Date;
};

/** An SMTP answer in the 5xx range is permanent (the address or the message is refused); anything else is worth a retry. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * Mails each client's events to its notification addresses. Every transrv node runs one. A pass:
 * 1. fan-out: for each address behind its client's feed, the new events it wants are rendered (subject, text, HTML in
 *    its locale) into `email_outbox` and its cursor moved, in one transaction under the address's row lock, so an event
 *    is queued for an address once, whichever nodes run;
 * 2. sending: due emails are claimed by this node for `claimMs` (one UPDATE), sent through SMTP, and marked `sent`; a
 *    temporary failure (4xx, no connection, timeout) is retried on the schedule, a 5xx answer fails the email.
 * At least once: a node killed between the SMTP server's acceptance and the mark sends it again after the claim runs
 * out, with the same Message-ID (`<outbox id>.<event id>@<from domain>`), by which mail systems drop the repeat.
 */
export class EmailNotifier {
  readonly #o: EmailNotifierOptions;
  readonly #task: PeriodicTask;
  readonly #transport: Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options>;
  readonly #domain: string;

  constructor(options: EmailNotifierOptions) {
    this.#o = options;
    // A pool keeps the connection open between emails (one connection per email costs a handshake each).
    const transport: SMTPPool.Options = { url: options.smtpUrl, pool: true, maxConnections: 2 };
    this.#transport = createTransport(transport, { from: options.from });
    this.#domain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'wallet.invalid';
    this.#task = new PeriodicTask({ name: 'email', log: options.log, intervalMs: options.intervalMs ?? 500, run: () => this.pass() });
  }

  start(): void {
    this.#task.start();
  }

  kick(): Promise<void> {
    return this.#task.kick();
  }

  async stop(): Promise<void> {
    await this.#task.stop();
    this.#transport.close();
  }

  async pass(): Promise<void> {
    await this.fanOut();
    await this.send();
  }

  /** Queues the new events of every address behind its client's feed. @returns how many emails were queued */
  async fanOut(): Promise<number> {
    const { db } = this.#o;
    const behind = await db('email_recipients as r')
      .join('event_heads as h', 'h.client_id', 'r.client_id')
      .whereRaw('r.cursor_seq < h.last_seq')
      .limit(100)
      .select<{ id: string }[]>('r.id');
    let queued = 0;
    for (const { id } of behind) queued += await this.#fanOutOne(id);
    return queued;
  }

  async #fanOutOne(id: string): Promise<number> {
    try {
      return await withTransaction(this.#o.db, async (trx) => {
        const r = await trx<RecipientRow>('email_recipients').where({ id }).forUpdate().first();
        if (!r) return 0;
        const feed = await readEvents(trx, r.client_id, { after: Number(r.cursor_seq), limit: 200 });
        if (feed.length === 0) return 0;
        const types = JSON.parse(r.events) as string[];
        const rows = feed
          .filter((e) => wants(types, e.type))
          .map((e) => {
            const mail = renderEmail(e, r.locale, r.email);
            return {
              client_id: r.client_id,
              recipient_id: r.id,
              event_id: e.id,
              event_type: e.type,
              to_address: r.email,
              subject: mail.subject,
              text_body: mail.text,
              html_body: mail.html,
              status: 'queued',
            };
          });
        if (rows.length > 0) await trx('email_outbox').insert(rows);
        await trx('email_recipients')
          .where({ id })
          .update({ cursor_seq: feed.at(-1)!.seq });
        return rows.length;
      });
    } catch (error) {
      // Another node queued the same events first (the UNIQUE guard): nothing to do, its cursor has moved.
      if (isDuplicateKey(error)) return 0;
      throw error;
    }
  }

  /** Claims and sends the due emails. @returns how many were sent */
  async send(): Promise<number> {
    const { db, log } = this.#o;
    const claim = `${this.#o.nodeId}/${randomBytes(6).toString('hex')}`;
    await db.raw(
      `UPDATE email_outbox SET claimed_by = ?, claim_until = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND
       WHERE status = 'queued' AND next_attempt_at <= CURRENT_TIMESTAMP(3)
         AND (claim_until IS NULL OR claim_until < CURRENT_TIMESTAMP(3))
       ORDER BY id LIMIT ?`,
      [claim, (this.#o.claimMs ?? 60_000) * 1000, this.#o.batch ?? 20],
    );
    const mine = await db('email_outbox')
      .where({ claimed_by: claim, status: 'queued' })
      .orderBy('id')
      .select<OutboxRow[]>('id', 'event_id', 'event_type', 'to_address', 'subject', 'text_body', 'html_body', 'attempts', 'created_at');
    let sent = 0;
    for (const m of mine) {
      const row = () => db('email_outbox').where({ id: m.id, claimed_by: claim, status: 'queued' });
      try {
        await this.#transport.sendMail({
          from: this.#o.from,
          to: m.to_address,
          subject: m.subject,
          text: m.text_body,
          html: m.html_body,
          messageId: `<${m.id}.${m.event_id}@${this.#domain}>`,
          headers: { 'X-Wallet-Event-Id': m.event_id, 'X-Wallet-Event-Type': m.event_type },
        });
        await row().update({ status: 'sent', attempts: m.attempts + 1, sent_at: db.raw('CURRENT_TIMESTAMP(3)'), last_error: null });
        sent++;
      } catch (error) {
        const attempts = m.attempts + 1;
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
        const tooLong = Date.now() - m.created_at.getTime() >= (this.#o.giveUpAfterMs ?? 24 * 3600_000);
        if (isPermanent(error) || tooLong) {
          await row().update({ status: 'failed', attempts, last_error: message, claimed_by: null, claim_until: null });
          log.warn({ emailId: m.id, to: m.to_address, attempts, err: message }, 'email failed: not retried');
        } else {
          const schedule = this.#o.retryScheduleMs ?? DEFAULT_EMAIL_RETRY_MS;
          const wait = schedule[Math.min(attempts - 1, schedule.length - 1)]!;
          await row().update({
            attempts,
            last_error: message,
            claimed_by: null,
            claim_until: null,
            next_attempt_at: db.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND', [wait * 1000]),
          });
          log.info({ emailId: m.id, attempts, retryInMs: wait, err: message }, 'email not sent; retried later');
        }
      }
    }
    return sent;
  }
}
