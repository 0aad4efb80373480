import type { AddressInfo } from 'node:net';
import { type Db, withTransaction } from '@wallet/db';
import { EventType, ResourceType, appendEvents, sequenceEvents } from '@wallet/events';
import { createLogger } from '@wallet/logger';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailNotifier, MAX_RECIPIENTS, createRecipient, deleteRecipient, listRecipients, updateRecipient } from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// Notification emails through a real SMTP server on loopback (smtp-server), read back with mailparser.

const log = createLogger('email-test', { level: 'silent' });
let db: Db;
let drop: () => Promise<void>;

/** A loopback SMTP server keeping what it accepted; `refuse` makes it answer DATA with that code instead. */
class Mailbox {
  readonly mails: ParsedMail[] = [];
  refuse: number | null = null;
  attempts = 0;
  readonly #server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, _session, callback) => {
      this.attempts++;
      simpleParser(stream)
        .then((mail) => {
          if (this.refuse !== null) return callback(Object.assign(new Error(`refused ${this.refuse}`), { responseCode: this.refuse }));
          this.mails.push(mail);
          callback();
        })
        .catch(callback);
    },
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `smtp://127.0.0.1:${(this.#server.server.address() as AddressInfo).port}`;
  }

  to(address: string): ParsedMail[] {
    return this.mails.filter((m) => JSON.stringify(m.to).includes(address));
  }

  close(): Promise<void> {
    return new Promise((r) => this.#server.close(() => r()));
  }
}

let mailbox: Mailbox;
let smtpUrl: string;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  mailbox = new Mailbox();
  smtpUrl = await mailbox.start();
});
afterAll(async () => {
  await mailbox?.close();
  await drop?.();
});

let resource = 0;
async function event(clientId: string, type: EventType, data: Record<string, unknown>): Promise<void> {
  const id = `r_${++resource}`;
  const resourceType = type.startsWith('deposit')
    ? ResourceType.deposit
    : type.startsWith('withdrawal')
      ? ResourceType.withdrawal
      : ResourceType.transfer;
  await withTransaction(db, (trx) =>
    appendEvents(trx, [{ nodeId: 'n1', clientId, type, resourceType, resourceId: id, data: { id, ...data } }]),
  );
  await sequenceEvents(db, 'n1');
}

function notifier(nodeId = 'n1', extra: Partial<ConstructorParameters<typeof EmailNotifier>[0]> = {}): EmailNotifier {
  return new EmailNotifier({ db, nodeId, log, smtpUrl, from: 'Wallet <wallet@exchange.test>', retryScheduleMs: [200], ...extra });
}

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('email notifications', () => {
  it('mails each address the events it chose, after it was added, in its locale, as text and HTML with every value escaped', async () => {
    await event('c_mail', EventType.depositCredited, { asset: 'ETH', amount: '0.5' }); // before any address: not mailed
    const { recipient: en } = await createRecipient(db, { clientId: 'c_mail', email: 'ops@Exchange.TEST', events: ['*'] });
    expect(en.email).toBe('ops@exchange.test');
    const { recipient: zh } = await createRecipient(db, {
      clientId: 'c_mail',
      email: 'finance@exchange.test',
      events: [EventType.withdrawalConfirmed],
      locale: 'zh',
    });
    await event('c_mail', EventType.depositCredited, { asset: 'ETH', amount: '1.5', address: '0xabc' });
    await event('c_mail', EventType.withdrawalConfirmed, {
      asset: 'LTC',
      amount: '2',
      to: 'rltc1qxyz',
      reference: '<script>alert(1)</script>',
    });
    const n = notifier();
    await n.pass();
    await n.stop();

    const toEn = mailbox.to('ops@exchange.test');
    expect(toEn.map((m) => m.subject)).toEqual(['[Wallet] Deposit credited: 1.5 ETH', '[Wallet] Withdrawal confirmed: 2 LTC to rltc1qxyz']);
    const confirmed = toEn[1]!;
    expect(confirmed.from?.value[0]).toMatchObject({ name: 'Wallet', address: 'wallet@exchange.test' });
    expect(confirmed.text).toContain('reference');
    expect(confirmed.text).toContain('<script>alert(1)</script>'); // plain text is shown as is
    expect(confirmed.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(confirmed.html).not.toContain('<script>');
    expect(confirmed.headers.get('x-wallet-event-type')).toBe('withdrawal.confirmed');
    expect(confirmed.messageId).toMatch(/^<\d+\.ev_[0-9A-Za-z]+@exchange\.test>$/);

    const toZh = mailbox.to('finance@exchange.test');
    expect(toZh.map((m) => m.subject)).toEqual(['[钱包] 提现已确认：2 LTC，至 rltc1qxyz']);
    expect(toZh[0]!.text).toContain('事件序号');
    expect(toZh[0]!.html).toContain('lang="zh"');
    expect(zh.locale).toBe('zh');

    // The outbox says what was sent.
    const rows = await db('email_outbox').where({ client_id: 'c_mail' }).select('status');
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['sent', 'sent', 'sent']);
  });

  it('retries a temporary SMTP refusal (4xx) until it is accepted; a permanent one (5xx) fails the email at once', async () => {
    await createRecipient(db, { clientId: 'c_retry', email: 'retry@exchange.test', events: ['*'] });
    mailbox.refuse = 451;
    await event('c_retry', EventType.transferCompleted, { asset: 'ETH', amount: '3' });
    const n = notifier();
    const before = mailbox.attempts;
    await n.pass();
    await n.send();
    expect(mailbox.attempts).toBe(before + 1); // the retry waits its turn (200 ms)
    await new Promise((r) => setTimeout(r, 250));
    await n.send();
    expect(mailbox.attempts).toBe(before + 2);
    mailbox.refuse = null;
    await new Promise((r) => setTimeout(r, 250));
    await n.send();
    expect(mailbox.to('retry@exchange.test')).toHaveLength(1);
    const retried = await db('email_outbox').where({ client_id: 'c_retry' }).first<{ status: string; attempts: number }>();
    expect(retried).toMatchObject({ status: 'sent', attempts: 3 });

    mailbox.refuse = 550;
    await event('c_retry', EventType.transferCompleted, { asset: 'ETH', amount: '4' });
    await n.pass();
    mailbox.refuse = null;
    await new Promise((r) => setTimeout(r, 250));
    await n.pass();
    const failed = await db('email_outbox')
      .where({ client_id: 'c_retry' })
      .orderBy('id', 'desc')
      .first<{ status: string; attempts: number; last_error: string }>();
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed?.last_error).toContain('550');
    expect(mailbox.to('retry@exchange.test')).toHaveLength(1);
    await n.stop();
  });

  it('three nodes running at once mail each event to each address once', async () => {
    await createRecipient(db, { clientId: 'c_many', email: 'a@exchange.test', events: ['*'] });
    await createRecipient(db, { clientId: 'c_many', email: 'b@exchange.test', events: [EventType.transferCompleted] });
    for (let i = 0; i < 30; i++) await event('c_many', EventType.transferCompleted, { asset: 'ETH', amount: String(i + 1) });
    const nodes = [notifier('n1', { intervalMs: 10 }), notifier('n2', { intervalMs: 10 }), notifier('n3', { intervalMs: 10 })];
    for (const n of nodes) n.start();
    await until('60 emails', () => mailbox.to('a@exchange.test').length + mailbox.to('b@exchange.test').length >= 60);
    await new Promise((r) => setTimeout(r, 300));
    for (const n of nodes) await n.stop();
    for (const address of ['a@exchange.test', 'b@exchange.test']) {
      const subjects = mailbox.to(address).map((m) => m.subject);
      expect(subjects).toHaveLength(30);
      expect(new Set(subjects).size).toBe(30);
    }
  });

  it('a removed address is not mailed, not even what was queued for it', async () => {
    const { recipient } = await createRecipient(db, { clientId: 'c_gone', email: 'gone@exchange.test', events: ['*'] });
    await event('c_gone', EventType.transferCompleted, { asset: 'ETH', amount: '1' });
    const n = notifier();
    await n.fanOut();
    await deleteRecipient(db, 'c_gone', recipient.id);
    await n.send();
    await n.stop();
    expect(mailbox.to('gone@exchange.test')).toHaveLength(0);
    expect(await db('email_outbox').where({ client_id: 'c_gone' }).first()).toMatchObject({
      status: 'failed',
      last_error: 'recipient removed',
    });
    await expect(deleteRecipient(db, 'c_gone', recipient.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses bad addresses, event types and locales, and more than the limit, changing nothing; the same address is the same recipient', async () => {
    const bad: [string, Parameters<typeof createRecipient>[1]][] = [
      ['no domain', { clientId: 'c_bad', email: 'ops', events: ['*'] }],
      ['a header injected', { clientId: 'c_bad', email: 'ops@exchange.test\r\nBcc: evil@attacker.test', events: ['*'] }],
      ['two recipients', { clientId: 'c_bad', email: 'ops@exchange.test,evil@attacker.test', events: ['*'] }],
      ['angle brackets', { clientId: 'c_bad', email: '<ops@exchange.test>', events: ['*'] }],
      ['too long', { clientId: 'c_bad', email: `${'a'.repeat(250)}@exchange.test`, events: ['*'] }],
      ['no events', { clientId: 'c_bad', email: 'ops@exchange.test', events: [] }],
      ['an unknown event', { clientId: 'c_bad', email: 'ops@exchange.test', events: ['deposit.maybe'] }],
      ['an unknown locale', { clientId: 'c_bad', email: 'ops@exchange.test', events: ['*'], locale: 'fr' }],
    ];
    for (const [name, input] of bad) await expect(createRecipient(db, input), name).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await listRecipients(db, 'c_bad')).toEqual([]);

    const first = await createRecipient(db, { clientId: 'c_lim', email: 'x0@exchange.test', events: ['*'] });
    const again = await createRecipient(db, { clientId: 'c_lim', email: 'x0@exchange.test', events: [EventType.depositSeen] });
    expect(again).toEqual({ recipient: first.recipient, created: false });
    for (let i = 1; i < MAX_RECIPIENTS; i++) await createRecipient(db, { clientId: 'c_lim', email: `x${i}@exchange.test`, events: ['*'] });
    await expect(createRecipient(db, { clientId: 'c_lim', email: 'one-more@exchange.test', events: ['*'] })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
    await expect(updateRecipient(db, 'c_lim', first.recipient.id, {})).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(updateRecipient(db, 'c_other', first.recipient.id, { locale: 'zh' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await updateRecipient(db, 'c_lim', first.recipient.id, { locale: 'zh', events: [EventType.depositSeen] })).toMatchObject({
      locale: 'zh',
      events: [EventType.depositSeen],
    });
  });
});
