import { randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Db, globalOutboxOrigin, withTransaction } from '@wallet/db';
import { EventType, ResourceType, appendEvents, listEvents, sequenceEvents } from '@wallet/events';
import { createLogger } from '@wallet/logger';
import { SecretBox, sealedKeyCounts } from '@wallet/secret-box';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WebhookDispatcher,
  createEndpoint,
  deleteEndpoint,
  endpointSecretContext,
  listDeliveries,
  prepareWebhookSecrets,
  queueTest,
  redeliver,
  rotateSecret,
  safeLookup,
  updateEndpoint,
  verifyWebhookSignature,
  webhookSecretColumns,
} from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// The dispatcher against real loopback receivers that fail, time out and recover, on the test database.

const log = createLogger('webhooks-test', { level: 'silent' });
const dev = { allowPrivate: true };
const kek = randomBytes(32);
const box = SecretBox.fromKeks([kek]);
let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop?.());

type Received = { headers: IncomingHttpHeaders; body: string; at: number };

/** A loopback receiver: answers each request with the next of `answers` (then the last one), after `delayMs`. */
class Receiver {
  readonly received: Received[] = [];
  answers: number[];
  delayMs = 0;
  #server: Server;

  constructor(answers: number[] = [200]) {
    this.answers = answers;
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body, at: Date.now() });
        const status = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
        setTimeout(() => res.writeHead(status).end('ok'), this.delayMs);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  seqs(): number[] {
    return this.received.map((r) => (JSON.parse(r.body) as { seq: number }).seq);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

let resource = 0;
/** `n` events of the client, sequenced. @returns their seqs */
async function events(clientId: string, n: number): Promise<number[]> {
  for (let i = 0; i < n; i++) {
    const id = `tr_${++resource}`;
    await withTransaction(db, (trx) =>
      appendEvents(trx, [
        { nodeId: 'n1', clientId, type: EventType.transferCompleted, resourceType: ResourceType.transfer, resourceId: id, data: { id } },
      ]),
    );
  }
  await sequenceEvents(db, 'n1');
  return (await listEvents(db, clientId, 0, 10_000)).map((e) => e.seq).slice(-n);
}

const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

function dispatcher(nodeId: string, extra: Partial<ConstructorParameters<typeof WebhookDispatcher>[0]> = {}): WebhookDispatcher {
  return new WebhookDispatcher({
    db,
    nodeId,
    log,
    secrets: box,
    policy: dev,
    intervalMs: 20,
    retryScheduleMs: [200, 400],
    leaseMs: 1000,
    timeoutMs: 1000,
    ...extra,
  });
}

describe('webhook delivery', () => {
  it('delivers each new event once, in order, signed over its timestamp and body, as the feed shows it', async () => {
    const rx = new Receiver();
    const { endpoint, secret } = await createEndpoint(db, box, { clientId: 'c_order', url: await rx.start(), events: ['*'] }, dev);
    const d = dispatcher('n1');
    d.start();
    try {
      const seqs = await events('c_order', 12);
      await until('12 deliveries', () => rx.received.length >= 12);
      expect(rx.seqs()).toEqual(seqs);
      const feed = await listEvents(db, 'c_order', 0, 100);
      for (const [i, r] of rx.received.entries()) {
        expect(verifyWebhookSignature(r.headers['x-wallet-signature'] as string, secret, r.body)).toBe(true);
        expect(JSON.parse(r.body)).toMatchObject({
          seq: feed[i]!.seq,
          id: feed[i]!.id,
          type: 'transfer.completed',
          resourceId: feed[i]!.resourceId,
        });
        expect(r.headers['x-wallet-event-id']).toBe(feed[i]!.id);
      }
      // The receiver counts a request before the dispatcher has recorded its answer: wait for the records.
      await until('12 deliveries recorded', async () =>
        (await listDeliveries(db, 'c_order', endpoint.id, 100)).every((h) => h.status !== 'queued'),
      );
      const history = await listDeliveries(db, 'c_order', endpoint.id, 100);
      expect(history).toHaveLength(12);
      expect(history.every((h) => h.status === 'delivered' && h.attempts === 1)).toBe(true);
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('retries 5xx, 429 and 408 on the schedule, holding the events behind in order, and goes on when it recovers', async () => {
    const rx = new Receiver([500, 429, 408, 200]);
    await createEndpoint(db, box, { clientId: 'c_retry', url: await rx.start(), events: ['*'] }, dev);
    const d = dispatcher('n1');
    d.start();
    try {
      const seqs = await events('c_retry', 3);
      await until('the three delivered', () => rx.received.filter((_, i) => i >= 3).length >= 3);
      // The first event 4 times (3 failures), then the two behind it; never one before its predecessor succeeded.
      expect(rx.seqs()).toEqual([seqs[0], seqs[0], seqs[0], seqs[0], seqs[1], seqs[2]]);
      // Spaced by the schedule: 200 ms, 400 ms, 400 ms.
      const gaps = rx.received.slice(1, 4).map((r, i) => r.at - rx.received[i]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(180);
      expect(gaps[1]).toBeGreaterThanOrEqual(380);
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('does not retry another 4xx: the delivery fails and the next event goes', async () => {
    const rx = new Receiver([404, 200]);
    const { endpoint } = await createEndpoint(db, box, { clientId: 'c_404', url: await rx.start(), events: ['*'] }, dev);
    const d = dispatcher('n1');
    d.start();
    try {
      const seqs = await events('c_404', 2);
      await until('two requests', () => rx.received.length >= 2);
      expect(rx.seqs()).toEqual(seqs);
      // The receiver counts a request before the dispatcher has recorded its answer: wait for the records.
      await until('both answers recorded', async () =>
        (await listDeliveries(db, 'c_404', endpoint.id, 10)).every((h) => h.status !== 'queued'),
      );
      const history = await listDeliveries(db, 'c_404', endpoint.id, 10);
      expect(history.map((h) => [h.eventSeq, h.status, h.lastStatus])).toEqual([
        [seqs[1], 'delivered', 200],
        [seqs[0], 'failed', 404],
      ]);
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('a receiver that times out holds up only its own endpoint', async () => {
    const slow = new Receiver([200]);
    slow.delayMs = 5000;
    const fast = new Receiver([200]);
    await createEndpoint(db, box, { clientId: 'c_slow', url: await slow.start(), events: ['*'] }, dev);
    await createEndpoint(db, box, { clientId: 'c_fast', url: await fast.start(), events: ['*'] }, dev);
    const d = dispatcher('n1');
    d.start();
    try {
      await events('c_slow', 3);
      await until('the slow receiver asked', () => slow.received.length >= 1);
      const seqs = await events('c_fast', 5);
      await until('the fast receiver got all 5', () => fast.received.length >= 5, 3000);
      expect(fast.seqs()).toEqual(seqs);
      // The slow one is still on its first event (timed out at 1 s, retried): nothing overtook it.
      expect(new Set(slow.seqs()).size).toBe(1);
    } finally {
      await d.stop();
      await slow.close();
      await fast.close();
    }
  });

  it('an endpoint failing for longer than disableAfterMs is disabled, with webhook.disabled in the feed; re-enabled, it is delivered at once', async () => {
    const rx = new Receiver([503]);
    const { endpoint } = await createEndpoint(db, box, { clientId: 'c_dead', url: await rx.start(), events: ['*'] }, dev);
    // A lease far longer than the test: re-enabling must not wait for the lease the disabling node held.
    const d = dispatcher('n1', { disableAfterMs: 1500, leaseMs: 600_000 });
    d.start();
    try {
      await events('c_dead', 1);
      await until(
        'disabled',
        async () => (await db('webhook_endpoints').where({ id: endpoint.id }).first<{ status: string }>('status'))?.status === 'disabled',
      );
      // An event about a global resource: in the global outbox, under the global origin, not the node's.
      expect((await sequenceEvents(db, 'n1')).moved).toBe(0);
      expect((await sequenceEvents(db, globalOutboxOrigin)).moved).toBeGreaterThan(0);
      const feed = await listEvents(db, 'c_dead', 0, 100);
      const disabled = feed.filter((e) => e.type === 'webhook.disabled');
      expect(disabled).toHaveLength(1);
      expect(JSON.parse(disabled[0]!.data)).toMatchObject({ id: endpoint.id, status: 'disabled', reason: 'failing' });
      const asked = rx.received.length;
      await new Promise((r) => setTimeout(r, 600));
      expect(rx.received.length).toBe(asked);

      rx.answers = [200];
      const enabled = await updateEndpoint(db, 'c_dead', endpoint.id, { status: 'active' }, dev);
      expect(enabled).toMatchObject({ status: 'active', disabledReason: null, failingSince: null });
      await until('delivered after re-enabling', () => rx.received.length > asked, 3000);
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('signs with both secrets during a rotation overlap, with the new one only after', async () => {
    const rx = new Receiver();
    const { endpoint, secret: old } = await createEndpoint(
      db,
      box,
      { clientId: 'c_rot', url: await rx.start(), events: ['transfer.completed'] },
      dev,
    );
    const { secret: fresh } = await rotateSecret(db, box, 'c_rot', endpoint.id, 3600);
    const d = dispatcher('n1');
    d.start();
    try {
      await events('c_rot', 1);
      await until('one delivery', () => rx.received.length >= 1);
      const r = rx.received[0]!;
      const header = r.headers['x-wallet-signature'] as string;
      expect(verifyWebhookSignature(header, fresh, r.body)).toBe(true);
      expect(verifyWebhookSignature(header, old, r.body)).toBe(true);
      const { secret: third } = await rotateSecret(db, box, 'c_rot', endpoint.id, 0);
      await events('c_rot', 1);
      await until('two deliveries', () => rx.received.length >= 2);
      const second = rx.received[1]!;
      expect(verifyWebhookSignature(second.headers['x-wallet-signature'] as string, third, second.body)).toBe(true);
      expect(verifyWebhookSignature(second.headers['x-wallet-signature'] as string, fresh, second.body)).toBe(false);
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('redelivers a range of the feed by request, and sends a test delivery', async () => {
    const rx = new Receiver();
    const { endpoint } = await createEndpoint(db, box, { clientId: 'c_redo', url: await rx.start(), events: ['*'] }, dev);
    const d = dispatcher('n1');
    d.start();
    try {
      const seqs = await events('c_redo', 4);
      await until('4 deliveries', () => rx.received.length >= 4);
      expect(await redeliver(db, 'c_redo', endpoint.id, seqs[1]!, seqs[2]!)).toBe(2);
      await queueTest(db, 'c_redo', endpoint.id);
      await until('7 deliveries', () => rx.received.length >= 7);
      expect(rx.seqs().slice(4, 6)).toEqual([seqs[1], seqs[2]]);
      expect(JSON.parse(rx.received[6]!.body)).toMatchObject({ type: 'webhook.test', resourceId: endpoint.id });
      await expect(redeliver(db, 'c_redo', endpoint.id, 5, 4)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(redeliver(db, 'c_other', endpoint.id, 1, 2)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('two nodes share the endpoints by lease; when one dies the other takes its endpoints over', async () => {
    const rx = new Receiver();
    await createEndpoint(db, box, { clientId: 'c_ha', url: await rx.start(), events: ['*'] }, dev);
    const a = dispatcher('node_a');
    const b = dispatcher('node_b');
    a.start();
    b.start();
    try {
      const first = await events('c_ha', 5);
      await until('5 deliveries', () => rx.received.length >= 5);
      expect(rx.seqs()).toEqual(first);
      // The holder stops (its lease is left to run out, as after kill -9); the other takes over.
      const holder = (await db('webhook_endpoints').where({ client_id: 'c_ha' }).first<{ lease_owner: string }>('lease_owner')).lease_owner;
      await (holder === 'node_a' ? a : b).stop();
      const second = await events('c_ha', 5);
      await until('10 deliveries', () => rx.received.length >= 10, 10_000);
      expect(rx.seqs()).toEqual([...first, ...second]);
    } finally {
      await a.stop();
      await b.stop();
      await rx.close();
    }
  });

  it('deleting an endpoint stops its deliveries; endpoints are per client', async () => {
    const rx = new Receiver([500]);
    const { endpoint } = await createEndpoint(db, box, { clientId: 'c_del', url: await rx.start(), events: ['*'] }, dev);
    await expect(deleteEndpoint(db, 'c_someone_else', endpoint.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await events('c_del', 2);
    await deleteEndpoint(db, 'c_del', endpoint.id);
    // Its secrets are wiped with it.
    expect(await db('webhook_endpoints').where({ id: endpoint.id }).first('secret', 'secret_box', 'previous_secret_box')).toEqual({
      secret: null,
      secret_box: null,
      previous_secret_box: null,
    });
    const d = dispatcher('n1');
    d.start();
    await new Promise((r) => setTimeout(r, 300));
    await d.stop();
    expect(rx.received).toEqual([]);
    await rx.close();
  });

  it('refuses bad endpoints and changes nothing', async () => {
    const before = await db('webhook_endpoints').count<{ n: number }[]>('* as n');
    await expect(
      createEndpoint(db, box, { clientId: 'c_bad', url: 'http://127.0.0.1/hook', events: ['*'] }, { allowPrivate: false }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(createEndpoint(db, box, { clientId: 'c_bad', url: 'https://example.com/', events: [] }, dev)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      createEndpoint(db, box, { clientId: 'c_bad', url: 'https://example.com/', events: ['deposit.nope'] }, dev),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await db('webhook_endpoints').count<{ n: number }[]>('* as n')).toEqual(before);
  });

  it('stores no secret in plaintext; the start-up pass seals what was stored before (endpoints and stored answers) and rewraps', async () => {
    const request = { clientId: 'c_rest', key: 'create-rest', hash: 'h' };
    const made = await createEndpoint(db, box, { clientId: 'c_rest', url: 'https://example.com/r', events: ['*'] }, dev, request);
    const everything = async (): Promise<string> =>
      JSON.stringify([
        await db('webhook_endpoints').where({ client_id: 'c_rest' }).select('*'),
        await db('webhook_requests').where({ client_id: 'c_rest' }).select('*'),
      ]);
    expect(await everything()).not.toContain(made.secret);
    expect((await createEndpoint(db, box, { clientId: 'c_rest', url: 'https://example.com/r', events: ['*'] }, dev, request)).secret).toBe(
      made.secret,
    );

    // As before issue 18: the endpoint's secret in plaintext, and the stored answer carrying it in its JSON.
    const legacy = 'whsec_' + 'ab'.repeat(32);
    await db('webhook_endpoints').where({ id: made.endpoint.id }).update({ secret: legacy, secret_box: null });
    await db('webhook_requests')
      .where({ client_id: 'c_rest', idempotency_key: 'create-rest' })
      .update({ secret_box: null, response: JSON.stringify({ endpoint: made.endpoint, secret: legacy }) });
    const nextKek = randomBytes(32);
    const rotated = SecretBox.fromKeks([nextKek, kek]);
    const reports = await prepareWebhookSecrets(db, rotated, { variable: 'TRANSRV_SECRETS_KEK_FILE', log });
    expect(reports.find((r) => r.table === 'webhook_endpoints')).toMatchObject({ sealed: 1, unreadable: 0 });
    expect(reports.find((r) => r.table === 'webhook_requests')).toMatchObject({ sealed: 1, unreadable: 0 });
    expect(await everything()).not.toContain(legacy.slice(6));
    // Everything is under the new key now (what other tests made too): the old key can leave the file.
    const onlyNew = SecretBox.fromKeks([randomBytes(32)]);
    for (const spec of webhookSecretColumns) {
      expect([...(await sealedKeyCounts(db, spec)).keys()]).toEqual([rotated.activeKeyId]);
    }
    const replay = await createEndpoint(db, rotated, { clientId: 'c_rest', url: 'https://example.com/r', events: ['*'] }, dev, request);
    expect(replay.secret).toBe(legacy);
    // A file without that key refuses, naming the variable.
    await expect(prepareWebhookSecrets(db, onlyNew, { variable: 'TRANSRV_SECRETS_KEK_FILE', log })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: { variables: ['TRANSRV_SECRETS_KEK_FILE'], problem: 'missing_key' },
    });
    // Back under the suite's key, for the tests after this one.
    await prepareWebhookSecrets(db, SecretBox.fromKeks([kek, nextKek]), { variable: 'V', log });
  });

  it('a retried POST (the same Idempotency-Key) gets the first answer from MySQL and changes nothing; another body is refused', async () => {
    const request = { clientId: 'c_idem', key: 'create-1', hash: 'h1' };
    const first = await createEndpoint(db, box, { clientId: 'c_idem', url: 'https://example.com/a', events: ['*'] }, dev, request);
    const again = await createEndpoint(db, box, { clientId: 'c_idem', url: 'https://example.com/a', events: ['*'] }, dev, request);
    expect(again).toEqual({ ...first, replayed: true });
    await expect(
      createEndpoint(db, box, { clientId: 'c_idem', url: 'https://example.com/b', events: ['*'] }, dev, { ...request, hash: 'h2' }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    const [count] = await db('webhook_endpoints').where({ client_id: 'c_idem' }).count<{ n: number | string }[]>('* as n');
    expect(Number(count?.n)).toBe(1);
    const rotate = { clientId: 'c_idem', key: 'rotate-1', hash: 'h3' };
    const r1 = await rotateSecret(db, box, 'c_idem', first.endpoint.id, 60, rotate);
    const r2 = await rotateSecret(db, box, 'c_idem', first.endpoint.id, 60, rotate);
    expect(r2.secret).toBe(r1.secret);
    const stored = await db('webhook_endpoints')
      .where({ id: first.endpoint.id })
      .first<{ secret: string | null; secret_box: string; previous_secret_box: string }>();
    // Sealed for the endpoint's row (issue 18): the plaintext column stays empty.
    const context = endpointSecretContext(first.endpoint.id);
    expect(stored.secret).toBeNull();
    expect([box.open(stored.secret_box, context), box.open(stored.previous_secret_box, context)]).toEqual([r1.secret, first.secret]);
  });

  it('stored answers are deleted past their retention (the API keeps them 24 h); a key of a deleted one runs again', async () => {
    const request = { clientId: 'c_prune', key: 'create-old', hash: 'h1' };
    const old = await createEndpoint(db, box, { clientId: 'c_prune', url: 'https://example.com/old', events: ['*'] }, dev, request);
    const fresh = { clientId: 'c_prune', key: 'create-new', hash: 'h2' };
    await createEndpoint(db, box, { clientId: 'c_prune', url: 'https://example.com/new', events: ['*'] }, dev, fresh);
    await db('webhook_requests')
      .where({ client_id: 'c_prune', idempotency_key: 'create-old' })
      .update({ created_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 49 HOUR') });
    const keys = () => db('webhook_requests').where({ client_id: 'c_prune' }).orderBy('idempotency_key').pluck('idempotency_key');
    // Within the retention (48 h by default), nothing goes; a short retention takes the old one only.
    expect(await dispatcher('n-prune', { requestRetentionMs: 50 * 3_600_000 }).pruneRequests()).toBe(0);
    const pruner = dispatcher('n-prune');
    expect(await pruner.pruneRequests()).toBe(1);
    expect(await keys()).toEqual(['create-new']);
    // A pass prunes too (the first pass of a dispatcher; then at most once a minute).
    await db('webhook_requests')
      .where({ client_id: 'c_prune' })
      .update({ created_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 49 HOUR') });
    await dispatcher('n-prune-2').pass();
    expect(await keys()).toEqual([]);
    // Past the promised window the key is free: the same request runs again (a second endpoint), as the API says.
    const again = await createEndpoint(db, box, { clientId: 'c_prune', url: 'https://example.com/old', events: ['*'] }, dev, request);
    expect(again.replayed).toBe(false);
    expect(again.endpoint.id).not.toBe(old.endpoint.id);
  });

  it('in production a host name that resolves to loopback is refused at connection time', async () => {
    const lookup = safeLookup({ allowPrivate: false });
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(error?.code).toBe('EWEBHOOKPRIVATE');
  });
});
