import { type Db } from '@wallet/db';
import { ApiDocument, bearerAuth, createEdgeApp } from '@wallet/http-edge';
import { createLogger } from '@wallet/logger';
import { Auditors } from '@wallet/payout';
import { AlertKind, alertCatalogue, alertCauseCatalogue, raiseAlert, raiseNodeAlert } from '@wallet/withdrawal-protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from './alertsRoutes.js';
import { createTestDatabase } from '@wallet/testkit';

// The alerts plugin through fastify's inject(), in an authenticated /v1 scope as app.ts registers it, on a MariaDB
// database of its own (the read model is SQL: its paging and acknowledgements are MariaDB's).

const log = createLogger('alerts-routes-test', { level: 'silent' });
const token = 'alice-auditor-token-0123456789';
const bobToken = 'bob-auditor-token-01234567890';
const auth = { authorization: `Bearer ${token}` };
const bob = { authorization: `Bearer ${bobToken}` };

let db: Db;
let drop: () => Promise<void>;

function app() {
  const auditors = new Auditors({ alice: Auditors.hashToken(token), bob: Auditors.hashToken(bobToken) });
  const server = createEdgeApp({ log, bodyLimitBytes: 16 * 1024 });
  const api = new ApiDocument({ title: 't', version: '1' }, { bearer: { type: 'http', scheme: 'bearer' } });
  void server.register(
    async (v1) => {
      v1.decorateRequest('auditor', '');
      v1.addHook(
        'onRequest',
        bearerAuth(
          (t) => auditors.authenticate(t),
          (request, auditor) => ((request as unknown as { auditor: string }).auditor = auditor),
        ),
      );
      await v1.register(alertsRoutes({ api, db, actorOf: (request) => `auditor:${(request as unknown as { auditor: string }).auditor}` }));
    },
    { prefix: '/v1' },
  );
  return { server, api };
}

/**
 * Waits past the current millisecond, so the next alarm's created_at (DATETIME(3)) is later: two alarms of the two
 * tables raised in the same millisecond are ordered signsrv's first (listAlerts' tie rule), not in raising order.
 */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5));

type AlertJson = {
  id: string;
  kind: string;
  title: string;
  text: string;
  acknowledged: { by: string; comment: string; at: string } | null;
};

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});

afterAll(async () => {
  await drop?.();
});

beforeEach(async () => {
  await db('alert_acks').delete();
  await db('sign_alerts').delete();
  await db('node_alerts').delete();
});

describe('GET /v1/alerts', () => {
  it("lists signsrv's and transrv's alarms newest first, with their title and text, paged by next", async () => {
    await raiseAlert(db, log, AlertKind.buildFailed, 'wd_1', { cause: 'gas_estimate_failed', message: 'eth_estimateGas: the call fails' });
    await nextMillisecond();
    await raiseNodeAlert(db, log, AlertKind.settlementHeld, 'wd_2', { reason: 'integrity_mismatch' });
    await nextMillisecond();
    await raiseAlert(db, log, AlertKind.nonceAhead, null, { chain: 'eth' });
    const { server } = app();
    const first = await server.inject({ method: 'GET', url: '/v1/alerts?limit=2', headers: auth });
    expect(first.statusCode).toBe(200);
    const body = first.json<{ data: AlertJson[]; next: string | null }>();
    expect(body.data.map((a) => a.kind)).toEqual(['nonce_ahead', 'settlement_held']);
    expect(body.data[1]).toMatchObject({
      id: expect.stringMatching(/^n:[0-9]+$/),
      title: alertCatalogue.settlement_held.title,
      acknowledged: null,
    });
    expect(body.next).toEqual(expect.any(String));
    const second = await server.inject({ method: 'GET', url: `/v1/alerts?limit=2&cursor=${body.next!}`, headers: auth });
    const rest = second.json<{ data: AlertJson[]; next: string | null }>();
    expect(rest.data).toHaveLength(1);
    expect(rest.next).toBeNull();
    expect(rest.data[0]).toMatchObject({
      kind: 'build_failed',
      id: expect.stringMatching(/^s:[0-9]+$/),
      withdrawalId: 'wd_1',
      text: alertCauseCatalogue.gas_estimate_failed.text,
      details: { cause: 'gas_estimate_failed' },
    });
    expect(JSON.stringify(rest.data[0])).not.toContain('VALIDATION_FAILED');
  });

  it('filters by acknowledged and by kind (one, or several separated by commas)', async () => {
    await raiseAlert(db, log, AlertKind.nonceAhead, null, {});
    await nextMillisecond();
    await raiseNodeAlert(db, log, AlertKind.ctxMismatch, 'wd_3', {});
    await nextMillisecond();
    await raiseNodeAlert(db, log, AlertKind.unknownHotWalletTx, null, {});
    const { server } = app();
    const kinds = async (query: string) =>
      (await server.inject({ method: 'GET', url: `/v1/alerts?${query}`, headers: auth }))
        .json<{ data: AlertJson[] }>()
        .data.map((a) => a.kind);
    const [ctx] = (await server.inject({ method: 'GET', url: '/v1/alerts?kind=ctx_mismatch', headers: auth })).json<{ data: AlertJson[] }>()
      .data;
    await server.inject({ method: 'POST', url: `/v1/alerts/${ctx!.id}/ack`, headers: auth, payload: { comment: 'redis restored' } });
    expect(await kinds('acknowledged=false')).toEqual(['unknown_hot_wallet_tx', 'nonce_ahead']);
    expect(await kinds('acknowledged=true')).toEqual(['ctx_mismatch']);
    expect(await kinds('kind=nonce_ahead,unknown_hot_wallet_tx')).toEqual(['unknown_hot_wallet_tx', 'nonce_ahead']);
    expect(await kinds('kind=ctx_mismatch&acknowledged=false')).toEqual([]);
    expect(await kinds('withdrawalId=wd_3')).toEqual(['ctx_mismatch']);
  });

  it.each(['kind=no_such_kind', 'acknowledged=yes', 'limit=0', 'limit=201', 'cursor=garbage', 'after=1', 'kind='])(
    'refuses %s with 400 VALIDATION_FAILED',
    async (query) => {
      const res = await app().server.inject({ method: 'GET', url: `/v1/alerts?${query}`, headers: auth });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    },
  );

  it('answers 401 without a valid token', async () => {
    const res = await app().server.inject({
      method: 'GET',
      url: '/v1/alerts',
      headers: { authorization: 'Bearer not-a-known-token-0123' },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST /v1/alerts/:id/ack', () => {
  it('acknowledges with a comment as the auditor; a retry answers the same; another auditor gets 409 CONFLICT', async () => {
    await raiseNodeAlert(db, log, AlertKind.settlementHeld, 'wd_4', { reason: 'token_transfer_mismatch' });
    const { server } = app();
    const [alarm] = (await server.inject({ method: 'GET', url: '/v1/alerts', headers: auth })).json<{ data: AlertJson[] }>().data;
    const ack = await server.inject({
      method: 'POST',
      url: `/v1/alerts/${alarm!.id}/ack`,
      headers: auth,
      payload: { comment: ' books corrected ' },
    });
    expect(ack.statusCode).toBe(200);
    expect(ack.json<AlertJson>()).toMatchObject({ id: alarm!.id, acknowledged: { by: 'auditor:alice', comment: 'books corrected' } });
    const retry = await server.inject({
      method: 'POST',
      url: `/v1/alerts/${encodeURIComponent(alarm!.id)}/ack`,
      headers: auth,
      payload: { comment: 'books corrected' },
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(ack.json());
    const other = await server.inject({ method: 'POST', url: `/v1/alerts/${alarm!.id}/ack`, headers: bob, payload: { comment: 'seen' } });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({
      error: { code: 'CONFLICT', details: { acknowledged: { by: 'auditor:alice', comment: 'books corrected' } } },
    });
    expect(await db('alert_acks').pluck('acknowledged_by')).toEqual(['auditor:alice']);
  });

  it('refuses a missing, blank or too long comment, a malformed id, an unknown alarm; and without a token, 401', async () => {
    await raiseAlert(db, log, AlertKind.nonceAhead, null, {});
    const { server } = app();
    const [alarm] = (await server.inject({ method: 'GET', url: '/v1/alerts', headers: auth })).json<{ data: AlertJson[] }>().data;
    const post = (id: string, payload: unknown, headers: Record<string, string> = auth) =>
      server.inject({ method: 'POST', url: `/v1/alerts/${id}/ack`, headers, payload: payload as object });
    for (const payload of [{}, { comment: '  ' }, { comment: 'x'.repeat(201) }, { comment: 'ok', extra: 1 }]) {
      const res = await post(alarm!.id, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
    expect((await post('12', { comment: 'c' })).statusCode).toBe(400);
    expect((await post('x:12', { comment: 'c' })).statusCode).toBe(400);
    const missing = await post('n:999999', { comment: 'c' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await post(alarm!.id, { comment: 'c' }, {})).statusCode).toBe(401);
    expect(await db('alert_acks').pluck('alert_id')).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  it('declares both operations', async () => {
    const { server, api } = app();
    await server.ready();
    expect(api.operations).toEqual([
      { method: 'GET', path: '/v1/alerts' },
      { method: 'POST', path: '/v1/alerts/{id}/ack' },
    ]);
  });
});
