import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@wallet/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { waitFor } from '../harness/waitFor.js';

// Webhooks through the whole cluster (issue 17): registered through the gateway, delivered by the transrv nodes to
// real loopback receivers that fail, time out and recover, with a transrv killed -9 on the way.

type Received = { headers: IncomingHttpHeaders; body: string };
type Hook = { id: string; url: string; events: string[]; status: string; disabledReason: string | null; secret?: string };
type Event = { seq: number; id: string; type: string; resourceId: string };

/** A loopback receiver answering each request with the next of `answers` (the last one repeats), after `delayMs`. */
class Receiver {
  readonly received: Received[] = [];
  #server: Server;
  constructor(
    public answers: number[] = [200],
    public delayMs = 0,
  ) {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        const status = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
        setTimeout(() => res.writeHead(status).end(), this.delayMs);
      });
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/wallet`;
  }
  events(): Event[] {
    return this.received.map((r) => JSON.parse(r.body) as Event);
  }
  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;
const accounts: string[] = [];
const receivers: Receiver[] = [];

beforeAll(async () => {
  cluster = await Cluster.start({
    transrvNodes: ['t1', 't2'],
    // Disabled after 20 s of failures: long enough that the flaky receiver's five failures, spread by a transrv kill -9
    // and restart on a loaded machine, never add up to it (5 s did, once, in CI); short enough to test disabling.
    extraEnv: { TRANSRV_WEBHOOK_RETRY_MS: '300,600', TRANSRV_WEBHOOK_DISABLE_AFTER_MS: '20000', GATESRV_RATE_LIMIT_PER_SECOND: '100000' },
  });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Hooked Exchange'));
  for (let i = 0; i < 6; i++) {
    const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `hooked-${i}` });
    accounts.push(res.body.id);
    await fixtures.fund(res.body.id, 'ETH', 10n ** 18n);
  }
}, 180_000);

afterAll(async () => {
  for (const r of receivers) await r.close();
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

async function receiver(answers: number[] = [200], delayMs = 0): Promise<{ rx: Receiver; url: string }> {
  const rx = new Receiver(answers, delayMs);
  receivers.push(rx);
  return { rx, url: await rx.start() };
}

async function transfers(n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    for (;;) {
      const res = await api.post<{ id: string }>(
        '/v1/transfers',
        { from: accounts[i % 6], to: accounts[(i + 1) % 6], asset: 'ETH', amount: String(100 + i) },
        { idempotencyKey: `${tag}-${i}` },
      );
      if (res.status === 201) {
        ids.push(res.body.id);
        break;
      }
      expect([503, 504]).toContain(res.status);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return ids;
}

/** The transfer ids a receiver got, each once, in the order first received; and whether that order is the feed's. */
function completions(rx: Receiver): { ids: string[]; inOrder: boolean } {
  const seen = new Map<string, number>();
  for (const e of rx.events()) if (e.type === 'transfer.completed' && !seen.has(e.resourceId)) seen.set(e.resourceId, e.seq);
  const seqs = [...seen.values()];
  return { ids: [...seen.keys()], inOrder: seqs.every((s, i) => i === 0 || s > seqs[i - 1]!) };
}

describe('webhooks', () => {
  it('registers, lists, reads, changes and deletes webhooks; refuses bad input and changes nothing', async () => {
    const { url } = await receiver();
    const created = await api.post<Hook>('/v1/webhooks', { url, events: ['transfer.completed'], description: 'ops' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url, events: ['transfer.completed'], status: 'active' });
    expect(created.body.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const read = await api.get<Hook>(`/v1/webhooks/${created.body.id}`);
    expect(read.body).not.toHaveProperty('secret');
    const patched = await api.send<Hook>('PATCH', `/v1/webhooks/${created.body.id}`, JSON.stringify({ events: ['*'], status: 'disabled' }));
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ['*'], status: 'disabled', disabledReason: 'by_client' });
    const list = await api.get<{ data: Hook[] }>('/v1/webhooks');
    expect(list.body.data.map((h) => h.id)).toContain(created.body.id);

    const bad: [string, unknown][] = [
      ['no events', { url, events: [] }],
      ['an unknown event type', { url, events: ['deposit.maybe'] }],
      ['a field too many', { url, events: ['*'], secret: 'mine' }],
      ['a malformed url', { url: 'not a url', events: ['*'] }],
      ['a url too long', { url: `http://127.0.0.1/${'a'.repeat(2100)}`, events: ['*'] }],
      ['an ftp url', { url: 'ftp://127.0.0.1/x', events: ['*'] }],
    ];
    const before = (await api.get<{ data: Hook[] }>('/v1/webhooks')).body.data.length;
    for (const [name, body] of bad) {
      const res = await api.post<{ error: { code: string } }>('/v1/webhooks', body);
      expect(res.status, name).toBe(400);
      expect(res.body.error.code, name).toBe('VALIDATION_FAILED');
    }
    expect((await api.get<{ data: Hook[] }>('/v1/webhooks')).body.data.length).toBe(before);
    expect((await api.get('/v1/webhooks/whk_01NOPE')).status).toBe(404);
    expect((await api.send('PATCH', `/v1/webhooks/${created.body.id}`, JSON.stringify({}))).status).toBe(400);
    expect((await api.post('/v1/webhooks/whk_01NOPE/test', {})).status).toBe(404);

    const deleted = await api.send('DELETE', `/v1/webhooks/${created.body.id}`, undefined);
    expect(deleted.status).toBe(204);
    expect((await api.get(`/v1/webhooks/${created.body.id}`)).status).toBe(404);
  });

  it('every completion reaches a healthy, a flaky and a slow receiver, once each at least, in feed order, signed; through a transrv kill -9', async () => {
    const good = await receiver([200]);
    // Five failures (500, 503, 429, 408, connection-level: 502) before it recovers.
    const flaky = await receiver([500, 503, 429, 408, 502, 200]);
    // Slow on every answer (1.5 s): it holds up only its own queue.
    const slow = await receiver([200], 1500);
    const hooks: Record<string, Hook> = {};
    for (const [name, r] of Object.entries({ good, flaky, slow })) {
      const res = await api.post<Hook>('/v1/webhooks', { url: r.url, events: ['transfer.completed', 'withdrawal.pending_review'] });
      expect(res.status).toBe(201);
      hooks[name] = res.body;
    }
    const first = await transfers(15, 'wh-a');
    cluster.process('transrv-t1').child.kill('SIGKILL');
    // Transfers go on while t1 is down (its accounts' answer 503 and are retried with the same key) and comes back.
    const during = transfers(10, 'wh-b');
    await new Promise((r) => setTimeout(r, 1000));
    await cluster.startTransrv('t1');
    const second = await during;
    const third = await transfers(5, 'wh-c');
    const all = [...first, ...second, ...third];
    for (const [name, r] of Object.entries({ good, flaky, slow })) {
      await waitFor(`${name} got all ${all.length}`, async () => (completions(r.rx).ids.length >= all.length ? true : undefined), 90_000);
      const got = completions(r.rx);
      expect(new Set(got.ids), name).toEqual(new Set(all));
      expect(got.inOrder, name).toBe(true);
      for (const d of r.rx.received) {
        expect(verifyWebhookSignature(d.headers['x-wallet-signature'] as string, hooks[name]!.secret!, d.body), name).toBe(true);
      }
    }
    // The flaky one was retried (its first event five more times), the others asked about once per event (a kill -9
    // between a send and its record may repeat one).
    expect(flaky.rx.received.length).toBeGreaterThanOrEqual(all.length + 5);
    expect(good.rx.received.length).toBeLessThanOrEqual(all.length + 2);
    const history = await api.get<{ data: { status: string; attempts: number }[] }>(
      `/v1/webhooks/${hooks['flaky']!.id}/deliveries?limit=200`,
    );
    expect(history.status).toBe(200);
    expect(history.body.data.some((d) => d.attempts >= 6 && d.status === 'delivered')).toBe(true);
  }, 240_000);

  it('a test delivery and a redelivery of a feed range, by API', async () => {
    const r = await receiver();
    const hook = (await api.post<Hook>('/v1/webhooks', { url: r.url, events: ['*'] })).body;
    const ids = await transfers(3, 'wh-redo');
    await waitFor('three', async () => (completions(r.rx).ids.length >= 3 ? true : undefined));
    const seqs = r.rx
      .events()
      .filter((e) => ids.includes(e.resourceId))
      .map((e) => e.seq);
    const test = await api.post<{ deliveryId: number }>(`/v1/webhooks/${hook.id}/test`, {});
    expect(test.status).toBe(202);
    const redo = await api.post<{ queued: number }>(`/v1/webhooks/${hook.id}/redeliver`, { fromSeq: seqs[0], toSeq: seqs[2] });
    expect(redo.status).toBe(202);
    expect(redo.body.queued).toBe(3);
    await waitFor('test and redeliveries', async () => (r.rx.received.length >= 7 ? true : undefined));
    const types = r.rx.events().map((e) => e.type);
    expect(types).toContain('webhook.test');
    expect(
      r.rx
        .events()
        .slice(-3)
        .map((e) => e.seq),
    ).toEqual(seqs);
    // The same Idempotency-Key again: the first answer, nothing queued twice.
    const again = await api.post<{ queued: number }>(
      `/v1/webhooks/${hook.id}/redeliver`,
      { fromSeq: seqs[0], toSeq: seqs[2] },
      { idempotencyKey: 'redo-once' },
    );
    const twice = await api.post<{ queued: number }>(
      `/v1/webhooks/${hook.id}/redeliver`,
      { fromSeq: seqs[0], toSeq: seqs[2] },
      { idempotencyKey: 'redo-once' },
    );
    expect(twice.body).toEqual(again.body);
    const bad = await api.post<{ error: { code: string } }>(`/v1/webhooks/${hook.id}/redeliver`, { fromSeq: 5, toSeq: 2 });
    expect(bad.status).toBe(400);
  });

  it('a receiver that keeps failing is disabled after the configured time, with webhook.disabled in the feed', async () => {
    const r = await receiver([503]);
    const hook = (await api.post<Hook>('/v1/webhooks', { url: r.url, events: ['transfer.completed'] })).body;
    await transfers(1, 'wh-dead');
    const disabled = await waitFor(
      'disabled',
      async () => {
        const h = (await api.get<Hook>(`/v1/webhooks/${hook.id}`)).body;
        return h.status === 'disabled' ? h : undefined;
      },
      60_000,
    );
    expect(disabled.disabledReason).toBe('failing');
    const feed = await waitFor('the event', async () => {
      const page = await api.get<{ data: (Event & { data: { id: string } })[] }>('/v1/events?after=0&limit=1000');
      return page.body.data.find((e) => e.type === 'webhook.disabled' && e.resourceId === hook.id);
    });
    expect(feed.data).toMatchObject({ id: hook.id, reason: 'failing' });
    // Re-enabled by the client: delivered again once the receiver is healthy.
    r.rx.answers = [200];
    const enabled = await api.send<Hook>('PATCH', `/v1/webhooks/${hook.id}`, JSON.stringify({ status: 'active' }));
    expect(enabled.body.status).toBe('active');
    await waitFor('delivered after re-enabling', async () => {
      const list = await api.get<{ data: { status: string }[] }>(`/v1/webhooks/${hook.id}/deliveries`);
      return list.body.data.some((d) => d.status === 'delivered') ? true : undefined;
    });
  });
});
