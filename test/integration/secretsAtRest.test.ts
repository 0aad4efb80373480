import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Db, createDb } from '@wallet/db';
import { kekId } from '@wallet/secret-box';
import { verifyWebhookSignature } from '@wallet/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient, walletctl } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import type { ServiceProcess } from '@wallet/launcher';
import { Redis } from 'ioredis';
import { mysqlUrl, stackEnv } from '../harness/stackEnv.js';
import { waitFor } from '../harness/waitFor.js';

// Secrets at rest through the whole cluster (issue 18): API key secrets (accountsrv) and webhook secrets (transrv) are
// stored sealed under each service's KEK; signed requests and webhook deliveries work as before; a value copied onto
// another row fails cleanly; a wrong key file refuses start; a rotation rewraps every row and the old key then goes.

type Received = { headers: IncomingHttpHeaders; body: string };
type Hook = { id: string; secret: string };

let cluster: Cluster;
let admin: Db;
const received: Received[] = [];
let receiver: Server;
let receiverUrl = '';

beforeAll(async () => {
  cluster = await Cluster.start({
    transrvNodes: ['t1'],
    extraEnv: { TRANSRV_WEBHOOK_RETRY_MS: '300,600', GATESRV_RATE_LIMIT_PER_SECOND: '100000' },
  });
  admin = createDb(mysqlUrl(cluster.database), { poolMin: 0, poolMax: 2 });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
}, 180_000);

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  await admin?.destroy();
  await cluster?.stop();
});

/** Every row of every table of the cluster's database, as the admin reads them, as one string. */
async function wholeDatabase(): Promise<string> {
  const [tables] = (await admin.raw('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [
    cluster.database,
  ])) as [{ t: string }[]];
  const dump: unknown[] = [];
  for (const { t } of tables) dump.push(await admin(t).select('*'));
  // Binary columns as latin1 text, so a secret's bytes are found in them too.
  return JSON.stringify(dump, (_, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
}

/** Queues a `webhook.test` delivery and waits for it; @returns what the receiver got */
async function testDelivery(api: ApiClient, hookId: string, timeoutMs = 20_000): Promise<Received> {
  const res = await api.post<{ deliveryId: number }>(`/v1/webhooks/${hookId}/test`, {});
  expect(res.status).toBe(202);
  return waitFor(
    `delivery ${res.body.deliveryId}`,
    async () => received.find((r) => r.headers['x-wallet-delivery-id'] === String(res.body.deliveryId)),
    timeoutMs,
  );
}

/** The KEK ids the rows of a table's sealed column are under, with counts. */
async function keyIdsOf(table: string, column: string): Promise<Record<string, number>> {
  const [rows] = (await admin.raw(`SELECT SUBSTRING(??, 5, 16) AS id, COUNT(*) AS n FROM ?? WHERE ?? IS NOT NULL GROUP BY id`, [
    column,
    table,
    column,
  ])) as [{ id: string; n: number }[]];
  return Object.fromEntries(rows.map((r) => [r.id, Number(r.n)]));
}

const keyFile = (name: string, ...keys: Buffer[]): string => {
  const path = `${cluster.secretsKeks.accountsrv.replace(/[^/]+$/, '')}${name}`;
  writeFileSync(path, keys.map((k) => `${k.toString('hex')}\n`).join(''), { mode: 0o600 });
  return path;
};
const currentKek = (path: string): Buffer => Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');

async function restartAccountsrv(env: Record<string, string>): Promise<ServiceProcess> {
  await cluster.process('accountsrv').stop();
  const p = cluster.spawnRaw('accountsrv', 'accountsrv', env);
  await p.ready(60_000);
  return p;
}

/** A signed GET that the gateway must authenticate, retried while the gateway finds the restarted accountsrv. */
async function authenticates(api: ApiClient): Promise<number> {
  return waitFor('an answer other than 503', async () => {
    const res = await api.get('/v1/accounts');
    return res.status === 503 ? undefined : res.status;
  });
}

/** Every key of this cluster's Redis namespace and its value, whatever its type, as one string. */
async function wholeRedisNamespace(redis: Redis): Promise<string> {
  const parts: string[] = [];
  for (const key of await redis.keys(`wallet:${cluster.env}:*`)) {
    const type = await redis.type(key);
    const value =
      type === 'string'
        ? await redis.get(key)
        : type === 'hash'
          ? await redis.hgetall(key)
          : type === 'stream'
            ? await redis.xrange(key, '-', '+')
            : type === 'zset'
              ? await redis.zrange(key, '0', '-1')
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'list'
                  ? await redis.lrange(key, 0, -1)
                  : null;
    parts.push(`${key} ${JSON.stringify(value)}`);
  }
  return parts.join('\n');
}

/** The forms a secret's bytes could take in a stored answer: as sent, and its 32 random bytes in hex and base64. */
function formsOf(secret: string): string[] {
  const random = Buffer.from(secret.replace(/^whsec_/, ''), 'hex');
  expect(random.length).toBe(32);
  return [secret, random.toString('hex'), random.toString('base64'), random.toString('base64url'), Buffer.from(secret).toString('base64')];
}

describe('secrets at rest', () => {
  let a: ApiClient;
  let aSecret: string;
  let hook: Hook;

  it('the database holds no API key or webhook secret; signed requests authenticate and deliveries verify', async () => {
    const creds = await createApiClient(cluster, 'Sealed Exchange');
    aSecret = creds.secret;
    a = new ApiClient(cluster.gatewayUrl, creds);
    const extra = await walletctl(cluster, 'clients', 'keys', 'add', '--client', creds.clientId, '--scopes', 'read', '--json');
    expect(extra.code).toBe(0);
    const extraSecret = (JSON.parse(extra.out.join('\n')) as { secret: string }).secret;
    const created = await a.post<Hook>('/v1/webhooks', { url: receiverUrl, events: ['transfer.completed'] });
    expect(created.status).toBe(201);
    hook = created.body;

    const dump = await wholeDatabase();
    for (const secret of [aSecret, extraSecret, hook.secret, hook.secret.slice('whsec_'.length)]) expect(dump).not.toContain(secret);
    // ... and it is there, sealed: one sealed value per key and per endpoint, and the stored answer's.
    expect(Object.values(await keyIdsOf('client_keys', 'secret_box'))).toEqual([2]);
    expect(await keyIdsOf('webhook_endpoints', 'secret_box')).toEqual({ [kekId(currentKek(cluster.secretsKeks.transrv))]: 1 });
    expect(await keyIdsOf('webhook_requests', 'secret_box')).toEqual({ [kekId(currentKek(cluster.secretsKeks.transrv))]: 1 });

    expect((await a.get('/v1/accounts')).status).toBe(200);
    const delivery = await testDelivery(a, hook.id);
    expect(verifyWebhookSignature(delivery.headers['x-wallet-signature'] as string, hook.secret, delivery.body)).toBe(true);
  });

  it('a sealed value copied onto another row does not open: that key and that webhook fail with SECRET_UNREADABLE, the rest work', async () => {
    const bCreds = await createApiClient(cluster, 'Victim Exchange');
    const b = new ApiClient(cluster.gatewayUrl, bCreds);
    // A's sealed secret onto B's key, before B was ever used (nothing cached in the gateway).
    const [aRow] = await admin('client_keys')
      .join('clients', 'clients.key_id', 'client_keys.key_id')
      .where('clients.name', 'Sealed Exchange')
      .select('client_keys.secret_box');
    await admin('client_keys').where({ key_id: bCreds.keyId }).update({ secret_box: aRow.secret_box });
    // Signed with A's secret under B's key id: refused, and not with A's secret accepted.
    const forged = new ApiClient(cluster.gatewayUrl, { keyId: bCreds.keyId, secret: aSecret });
    const refused = await forged.get<{ error: { code: string } }>('/v1/accounts');
    expect(refused.status).toBe(500);
    expect(refused.body.error.code).toBe('SECRET_UNREADABLE');
    expect((await b.get('/v1/accounts')).status).toBe(500);
    await cluster.process('accountsrv').waitForLog((l) => l.msg === "a key's stored secret does not open" && l['keyId'] === bCreds.keyId);
    expect((await a.get('/v1/accounts')).status).toBe(200);

    // A second webhook of A, given the first one's sealed secret: its deliveries wait; the first's go on.
    const second = (await a.post<Hook>('/v1/webhooks', { url: `${receiverUrl}/second`, events: ['transfer.completed'] })).body;
    const [first] = await admin('webhook_endpoints').where({ id: hook.id }).select('secret_box');
    await admin('webhook_endpoints').where({ id: second.id }).update({ secret_box: first.secret_box });
    const queued = await a.post<{ deliveryId: number }>(`/v1/webhooks/${second.id}/test`, {});
    expect(queued.status).toBe(202);
    await cluster
      .process('transrv-t1')
      .waitForLog(
        (l) =>
          l.msg === "a webhook's stored secret does not open: its deliveries wait until its secret is rotated" &&
          l['webhookId'] === second.id,
      );
    const ok = await testDelivery(a, hook.id);
    expect(verifyWebhookSignature(ok.headers['x-wallet-signature'] as string, hook.secret, ok.body)).toBe(true);
    expect(received.some((r) => r.headers['x-wallet-delivery-id'] === String(queued.body.deliveryId))).toBe(false);
    // Nothing crashed: both services still serve.
    expect(cluster.process('accountsrv').child.exitCode).toBeNull();
    expect(cluster.process('transrv-t1').child.exitCode).toBeNull();
    // Repair: rotating B's key (no overlap) replaces its secret; B signs again.
    const rotated = await walletctl(cluster, 'clients', 'rotate', bCreds.clientId, '--overlap', '0', '--json');
    expect(rotated.code, rotated.err.join('\n')).toBe(0);
    const fresh = (JSON.parse(rotated.out.join('\n')) as { secret: string }).secret;
    expect(await authenticates(new ApiClient(cluster.gatewayUrl, { keyId: bCreds.keyId, secret: fresh }))).toBe(200);
    // The copied webhook is deleted by its client (a rotation would replace its secret as well).
    expect((await a.send('DELETE', `/v1/webhooks/${second.id}`, undefined)).status).toBe(204);
  });

  it('a key file that lacks the key the rows are sealed under, or is malformed, or missing, refuses start naming the variable', async () => {
    await cluster.process('accountsrv').stop();
    const cases: [Record<string, string>, string][] = [
      [{ ACCOUNTSRV_SECRETS_KEK_FILE: keyFile('wrong.hex', randomBytes(32)) }, 'missing_key'],
      [{ ACCOUNTSRV_SECRETS_KEK_FILE: keyFile('bad.hex') }, 'malformed'],
      [{ ACCOUNTSRV_SECRETS_KEK_FILE: `${cluster.secretsKeks.accountsrv}.absent` }, 'unreadable'],
      [{ ACCOUNTSRV_SECRETS_KEK_FILE: '' }, ''],
    ];
    for (const [i, [env, problem]] of cases.entries()) {
      const p = cluster.spawnRaw('accountsrv', `accountsrv-badkek-${i}`, env);
      expect(await p.exited).toBe(1);
      const fatal = p.lines.find((l) => l.level === 60);
      expect(fatal?.['code']).toBe('CONFIG_INVALID');
      expect(String(fatal?.msg)).toContain('ACCOUNTSRV_SECRETS_KEK_FILE');
      if (problem !== '') expect((fatal?.['details'] as { problem?: string } | undefined)?.problem).toBe(problem);
    }
    const wrongTransrv = cluster.spawnRaw('transrv', 'transrv-t9-badkek', {
      TRANSRV_NODE_ID: 't9',
      TRANSRV_SECRETS_KEK_FILE: keyFile('wrong-t.hex', randomBytes(32)),
    });
    expect(await wrongTransrv.exited).toBe(1);
    expect(String(wrongTransrv.lines.find((l) => l.level === 60)?.msg)).toContain('TRANSRV_SECRETS_KEK_FILE');
    // The rows are untouched: the right file still opens them.
    await restartAccountsrv({});
    expect(await authenticates(a)).toBe(200);
  });

  it('rotation: a new key first and the old one after rewraps every row at start; the old key can then be removed', async () => {
    const oldAccountKek = currentKek(cluster.secretsKeks.accountsrv);
    const oldTransrvKek = currentKek(cluster.secretsKeks.transrv);
    const [newAccountKek, newTransrvKek] = [randomBytes(32), randomBytes(32)];
    // A client made before the rotation and first used after it: its credentials come from the rewrapped row.
    const late = await createApiClient(cluster, 'Late Exchange');
    const keyRows = Number((await admin('client_keys').whereNotNull('secret_box').count({ n: '*' }))[0]!.n);

    const rotating = await restartAccountsrv({ ACCOUNTSRV_SECRETS_KEK_FILE: keyFile('acc-rotating.hex', newAccountKek, oldAccountKek) });
    const report = await rotating.waitForLog((l) => l.msg === 'sealed secrets checked' && l['table'] === 'client_keys');
    expect(report).toMatchObject({ sealed: 0, rewrapped: keyRows, unreadable: 0, activeKeyId: kekId(newAccountKek) });
    expect(await keyIdsOf('client_keys', 'secret_box')).toEqual({ [kekId(newAccountKek)]: keyRows });

    await cluster.process('transrv-t1').stop();
    await cluster.startTransrv('t1', { TRANSRV_SECRETS_KEK_FILE: keyFile('t-rotating.hex', newTransrvKek, oldTransrvKek) });
    for (const [table, column] of [
      ['webhook_endpoints', 'secret_box'],
      ['webhook_requests', 'secret_box'],
    ] as const) {
      expect(Object.keys(await keyIdsOf(table, column))).toEqual([kekId(newTransrvKek)]);
    }

    // The old keys leave the files: both services start, and everything still authenticates and verifies.
    await restartAccountsrv({ ACCOUNTSRV_SECRETS_KEK_FILE: keyFile('acc-new.hex', newAccountKek) });
    await cluster.process('transrv-t1').stop();
    await cluster.startTransrv('t1', { TRANSRV_SECRETS_KEK_FILE: keyFile('t-new.hex', newTransrvKek) });
    expect(await authenticates(new ApiClient(cluster.gatewayUrl, late))).toBe(200);
    expect(await authenticates(a)).toBe(200);
    const delivery = await testDelivery(a, hook.id, 30_000);
    expect(verifyWebhookSignature(delivery.headers['x-wallet-signature'] as string, hook.secret, delivery.body)).toBe(true);
    expect(await wholeDatabase()).not.toContain(hook.secret.slice('whsec_'.length));
  });
});

// Last: its client, account and webhook would change the counts the tests above make of whole tables.
describe('idempotent answers holding a newly issued secret', () => {
  it('a webhook secret issued through the gateway never sits in Redis; a retry with its Idempotency-Key gets the same answer from transrv', async () => {
    const creds = await createApiClient(cluster, 'Idempotent Secrets');
    const api = new ApiClient(cluster.gatewayUrl, creds);
    const redis = new Redis(stackEnv.REDIS_URL);
    try {
      // The control: an answer without a secret is kept by the gateway, and the scan below sees it.
      const account = await api.post<{ id: string }>('/v1/accounts', { externalId: 'idem-secret-1' }, { idempotencyKey: 'acct-key-1' });
      expect(account.status).toBe(201);
      const registration = { url: `${receiverUrl}/idem`, events: ['transfer.completed'] };
      const created = await api.post<Hook>('/v1/webhooks', registration, { idempotencyKey: 'hook-key-1' });
      expect(created.status).toBe(201);
      const rotated = await api.post<Hook>(
        `/v1/webhooks/${created.body.id}/rotate-secret`,
        { overlapSeconds: 0 },
        {
          idempotencyKey: 'rotate-key-1',
        },
      );
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(created.body.secret);

      const leaks = async () => {
        const dump = await wholeRedisNamespace(redis);
        expect(dump).toContain(account.body.id);
        return [...formsOf(created.body.secret), ...formsOf(rotated.body.secret)].filter((form) => dump.includes(form));
      };
      expect(await leaks()).toEqual([]);

      // Retries with the same keys: transrv's sealed answers, the same bodies (the same secrets), marked replayed.
      const createdAgain = await api.post<Hook>('/v1/webhooks', registration, { idempotencyKey: 'hook-key-1' });
      expect([createdAgain.status, createdAgain.headers.get('idempotent-replayed'), createdAgain.body]).toEqual([
        201,
        'true',
        created.body,
      ]);
      const rotatedAgain = await api.post<Hook>(
        `/v1/webhooks/${created.body.id}/rotate-secret`,
        { overlapSeconds: 0 },
        {
          idempotencyKey: 'rotate-key-1',
        },
      );
      expect([rotatedAgain.status, rotatedAgain.headers.get('idempotent-replayed'), rotatedAgain.body]).toEqual([
        200,
        'true',
        rotated.body,
      ]);
      // Still one webhook, whose current secret is the first rotation's: the retry rotated nothing.
      expect((await api.get<{ data: unknown[] }>('/v1/webhooks')).body.data).toHaveLength(1);
      const delivery = await testDelivery(api, created.body.id);
      const signature = delivery.headers['x-wallet-signature'] as string;
      expect(verifyWebhookSignature(signature, rotated.body.secret, delivery.body)).toBe(true);
      expect(verifyWebhookSignature(signature, created.body.secret, delivery.body)).toBe(false);
      // The same key with another request is still refused.
      const reused = await api.post('/v1/webhooks', { ...registration, url: `${receiverUrl}/other` }, { idempotencyKey: 'hook-key-1' });
      expect([reused.status, (reused.body as { error: { code: string } }).error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
      // The account's answer is still replayed from Redis, as before.
      const accountAgain = await api.post('/v1/accounts', { externalId: 'idem-secret-1' }, { idempotencyKey: 'acct-key-1' });
      expect([accountAgain.status, accountAgain.headers.get('idempotent-replayed')]).toEqual([201, 'true']);

      expect(await leaks()).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
