import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { waitFor } from '../harness/waitFor.js';

// Notification emails through the whole cluster (issue 17): addresses registered through the gateway, the transrv
// nodes mailing the client's events through a real SMTP server on loopback (smtp-server), read back with mailparser.

type Recipient = { id: string; email: string; locale: string; events: string[] };

/** The SMTP server: keeps what it accepts; while `refuse` is set it answers DATA with that code. */
const mails: ParsedMail[] = [];
let refuse: number | null = null;
let smtpAttempts = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, _session, callback) => {
    smtpAttempts++;
    simpleParser(stream)
      .then((mail) => {
        if (refuse !== null) return callback(Object.assign(new Error(`try later (${refuse})`), { responseCode: refuse }));
        mails.push(mail);
        callback();
      })
      .catch(callback);
  },
});
const to = (address: string): ParsedMail[] => mails.filter((m) => JSON.stringify(m.to).includes(address));

/** A webhook receiver that always fails. */
const failing: Server = createServer((_req, res) => res.writeHead(503).end());

let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;
const accounts: string[] = [];

beforeAll(async () => {
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  cluster = await Cluster.start({
    transrvNodes: ['t1', 't2'],
    extraEnv: {
      TRANSRV_SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      TRANSRV_EMAIL_FROM: 'Exchange Wallet <wallet@exchange.test>',
      TRANSRV_EMAIL_RETRY_MS: '300',
      TRANSRV_WEBHOOK_RETRY_MS: '300',
      TRANSRV_WEBHOOK_DISABLE_AFTER_MS: '2000',
    },
  });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Mailed Exchange'));
  for (let i = 0; i < 4; i++) {
    const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `mailed-${i}` });
    accounts.push(res.body.id);
    await fixtures.fund(res.body.id, 'ETH', 10n ** 18n);
  }
}, 180_000);

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
  failing.closeAllConnections();
  await new Promise((r) => failing.close(r));
  await new Promise((r) => smtp.close(() => r(undefined)));
});

describe('email notifications', () => {
  it('adds, lists, changes and removes addresses; refuses bad input and changes nothing', async () => {
    const created = await api.post<Recipient>('/v1/email-recipients', { email: 'Audit@Exchange.TEST', events: ['*'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'Audit@exchange.test', locale: 'en', events: ['*'] });
    const again = await api.post<Recipient>('/v1/email-recipients', { email: 'Audit@exchange.test', events: ['deposit.seen'] });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    const patched = await api.send<Recipient>('PATCH', `/v1/email-recipients/${created.body.id}`, JSON.stringify({ locale: 'zh' }));
    expect(patched.body).toMatchObject({ locale: 'zh', events: ['*'] });

    const bad: [string, unknown][] = [
      ['no events', { email: 'x@exchange.test', events: [] }],
      ['an unknown event type', { email: 'x@exchange.test', events: ['deposit.maybe'] }],
      ['an unknown locale', { email: 'x@exchange.test', events: ['*'], locale: 'fr' }],
      ['a field too many', { email: 'x@exchange.test', events: ['*'], cc: 'y@exchange.test' }],
      ['not an address', { email: 'exchange.test', events: ['*'] }],
      ['a header injected', { email: 'x@exchange.test\r\nBcc: evil@attacker.test', events: ['*'] }],
      ['two addresses', { email: 'x@exchange.test, evil@attacker.test', events: ['*'] }],
    ];
    const before = (await api.get<{ data: Recipient[] }>('/v1/email-recipients')).body.data.length;
    for (const [name, body] of bad) {
      const res = await api.post<{ error: { code: string } }>('/v1/email-recipients', body);
      expect(res.status, name).toBe(400);
      expect(res.body.error.code, name).toBe('VALIDATION_FAILED');
    }
    expect((await api.get<{ data: Recipient[] }>('/v1/email-recipients')).body.data.length).toBe(before);
    expect((await api.get('/v1/email-recipients/erc_01NOPE')).status).toBe(404);
    expect((await api.send('PATCH', `/v1/email-recipients/${created.body.id}`, JSON.stringify({}))).status).toBe(400);

    expect((await api.send('DELETE', `/v1/email-recipients/${created.body.id}`, undefined)).status).toBe(204);
    expect((await api.get(`/v1/email-recipients/${created.body.id}`)).status).toBe(404);
  });

  it("mails each address the events it chose in its language, through an SMTP server that refuses for a while; a failing webhook's disabling is mailed", async () => {
    const ops = (
      await api.post<Recipient>('/v1/email-recipients', { email: 'ops@exchange.test', events: ['transfer.completed', 'webhook.disabled'] })
    ).body;
    const finance = (
      await api.post<Recipient>('/v1/email-recipients', { email: 'finance@exchange.test', events: ['transfer.completed'], locale: 'zh' })
    ).body;
    expect(finance.locale).toBe('zh');
    expect(ops.events).toEqual(['transfer.completed', 'webhook.disabled']);

    refuse = 451;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api.post<{ id: string }>('/v1/transfers', {
        from: accounts[i % 4],
        to: accounts[(i + 1) % 4],
        asset: 'ETH',
        amount: String(1000 + i),
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    await waitFor('refused attempts', async () => (smtpAttempts >= 3 ? true : undefined));
    refuse = null;
    await waitFor(
      '12 emails',
      async () => (to('ops@exchange.test').length >= 6 && to('finance@exchange.test').length >= 6 ? true : undefined),
      60_000,
    );
    for (const [address, prefix] of [
      ['ops@exchange.test', '[Wallet] Transfer completed: '],
      ['finance@exchange.test', '[钱包] 内部转账已完成：'],
    ] as const) {
      const got = to(address);
      expect(got.map((m) => m.headers.get('x-wallet-event-type'))).toEqual(Array(6).fill('transfer.completed'));
      expect(new Set(got.map((m) => m.messageId)).size).toBe(6);
      for (const m of got) {
        expect(m.subject!.startsWith(prefix), m.subject).toBe(true);
        expect(m.from?.value[0]).toMatchObject({ name: 'Exchange Wallet', address: 'wallet@exchange.test' });
        expect(m.html).toContain('<table>');
      }
      for (const id of ids)
        expect(
          got.some((m) => m.text!.includes(id)),
          id,
        ).toBe(true);
    }

    // A webhook that only fails is disabled (2 s here, 3 days by default): the ops address is told.
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hook`;
    const hook = (await api.post<{ id: string }>('/v1/webhooks', { url, events: ['transfer.completed'] })).body;
    await api.post('/v1/transfers', { from: accounts[0], to: accounts[1], asset: 'ETH', amount: '7' });
    const disabled = await waitFor(
      'the disabling mailed',
      async () => to('ops@exchange.test').find((m) => m.headers.get('x-wallet-event-type') === 'webhook.disabled'),
      60_000,
    );
    expect(disabled.subject).toBe(`[Wallet] Webhook disabled after failing: ${url}`);
    expect(disabled.text).toContain(hook.id);
    expect(to('finance@exchange.test').some((m) => m.headers.get('x-wallet-event-type') === 'webhook.disabled')).toBe(false);
  }, 180_000);
});
