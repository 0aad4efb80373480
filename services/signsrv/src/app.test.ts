import type { Db } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { type ApprovalInput, Auditors, type Principal, type QueueFilter, type ReviewView } from '@wallet/payout';
import { SignServiceService } from '@wallet/proto';
import { type PromiseClient, createClient } from '@wallet/rpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Metrics, metricCatalog } from '@wallet/metrics';
import { type SignsrvDeps, buildGrpc, buildHttp } from './app.js';

const token = 'alice-auditor-token-0123456789';
const auth = { authorization: `Bearer ${token}` };
const badAuth = { authorization: 'Bearer not-a-known-token-0123' };

function review(withdrawalId: string, overrides: Partial<ReviewView> = {}): ReviewView {
  return {
    withdrawalId,
    clientId: 'cli_1',
    accountId: 'acc_1',
    nodeId: 't1',
    chain: 'eth',
    asset: 'ETH',
    to: '0x3535353535353535353535353535353535353535',
    amount: 10n ** 18n,
    fee: 21_000n,
    localhash: 'ab'.repeat(32),
    status: 'pending_review',
    decision: null,
    decidedBy: null,
    decidedAt: null,
    reason: null,
    approvals: [],
    requiredApprovals: null,
    policyId: null,
    holdUntil: null,
    requestedBy: 'client:cli_1',
    txid: null,
    nonce: null,
    clientDisabled: false,
    signingHalted: false,
    internal: false,
    internalAccountId: null,
    destinationIsContract: false,
    receivedAt: new Date('2025-01-01T00:00:00Z'),
    createdAt: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

/** The review queue in memory, in withdrawal id order, as Payouts.listPending pages it; no storage involved. */
type ReviewDesk = SignsrvDeps['payouts'];

class FakePayouts implements ReviewDesk {
  pending: ReviewView[] = [];
  readonly listCalls: { limit: number; after: string | undefined; filter?: QueueFilter }[] = [];
  readonly decisions: { auditor: string; withdrawalId: string; reason?: string; localhash?: string }[] = [];

  async listPending(filter: QueueFilter, limit: number, afterId?: string): Promise<ReviewView[]> {
    this.listCalls.push({ limit, after: afterId, ...(Object.keys(filter).length > 0 ? { filter } : {}) });
    return this.pending.filter((v) => afterId === undefined || v.withdrawalId > afterId).slice(0, limit);
  }

  async get(withdrawalId: string): Promise<ReviewView> {
    const found = this.pending.find((v) => v.withdrawalId === withdrawalId);
    if (!found) throw new WalletError('NOT_FOUND');
    return found;
  }

  async listDecided(): Promise<ReviewView[]> {
    return [];
  }

  async approve(by: Principal, withdrawalId: string, input: ApprovalInput): Promise<ReviewView> {
    this.decisions.push({ auditor: by.id, withdrawalId, localhash: input.localhash });
    return { ...(await this.get(withdrawalId)), decision: 'approved', decidedBy: by.id };
  }

  async reject(by: Principal, withdrawalId: string, reason: string): Promise<ReviewView> {
    this.decisions.push({ auditor: by.id, withdrawalId, reason });
    return { ...(await this.get(withdrawalId)), decision: 'rejected', decidedBy: by.id, reason };
  }

  async voidApproved(by: Principal, withdrawalId: string, reason: string): Promise<ReviewView> {
    this.decisions.push({ auditor: by.id, withdrawalId, reason });
    return { ...(await this.get(withdrawalId)), decision: 'voided', decidedBy: by.id, reason };
  }
}

let payouts: FakePayouts;
let ready: boolean;
let automationEnabled: boolean;
const deps = (): SignsrvDeps => ({
  instanceId: 'signsrv',
  startedAt: new Date('2025-01-01T00:00:00Z'),
  // Only /healthz reaches the database in these tests.
  db: { raw: async () => [[{ 1: 1 }]] } as unknown as Db,
  log: createLogger('signsrv-test', { level: 'silent' }),
  payouts,
  auditors: new Auditors({ alice: Auditors.hashToken(token) }),
  automation: { enabled: async () => automationEnabled },
  ready: () => ready,
});

beforeEach(() => {
  payouts = new FakePayouts();
  payouts.pending = ['wd_a', 'wd_b', 'wd_c'].map((id) => review(id));
  ready = true;
  automationEnabled = true;
});

describe('signsrv HTTP', () => {
  const app = () => buildHttp(deps());

  it('records every answer in its metrics by route pattern and status, /healthz and refusals included', async () => {
    const metrics = new Metrics({ service: 'signsrv', instance: 'signsrv', processMetrics: false });
    const http = buildHttp({ ...deps(), metrics });
    expect((await http.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await http.inject({ url: '/v1/reviews', headers: auth })).statusCode).toBe(200);
    expect((await http.inject({ url: '/v1/reviews/wd_b' })).statusCode).toBe(401);
    const counted = await metrics.counter(metricCatalog.httpRequests).get();
    const byLabels = counted.values.map((v) => [v.labels.route, v.labels.status_code, v.value]);
    expect(byLabels).toEqual(
      expect.arrayContaining([
        ['/healthz', '200', 1],
        ['/v1/reviews', '200', 1],
        ['/v1/reviews/:id', '401', 1],
      ]),
    );
    expect(byLabels).toHaveLength(3);
  });

  describe('authenticates before it reads the body', () => {
    it.each([
      ['no token', {}],
      ['an unknown token', badAuth],
    ])('with %s, a malformed JSON body is 401, not 400', async (_, headers) => {
      const res = await app().inject({
        method: 'POST',
        url: '/v1/reviews/wd_a/reject',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: '{"reason": ',
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    });

    it('without a token, a body over the size limit is 401, not 413', async () => {
      const res = await app().inject({
        method: 'POST',
        url: '/v1/reviews/wd_a/reject',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ reason: 'x'.repeat(32 * 1024) }),
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    });

    it('with a valid token, the same bodies are still 400 and 413', async () => {
      const bad = await app().inject({
        method: 'POST',
        url: '/v1/reviews/wd_a/reject',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"reason": ',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      const big = await app().inject({
        method: 'POST',
        url: '/v1/reviews/wd_a/reject',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ reason: 'x'.repeat(32 * 1024) }),
      });
      expect(big.statusCode).toBe(413);
      expect(big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(payouts.decisions).toEqual([]);
    });
  });

  describe('approve', () => {
    const approve = (payload: unknown, headers: Record<string, string> = auth) =>
      app().inject({
        method: 'POST',
        url: '/v1/reviews/wd_a/approve',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });

    it('needs the localhash reviewed (64 lower-case hex), and an optional comment; nothing else', async () => {
      for (const body of [{}, { localhash: 'ab' }, { localhash: 'AB'.repeat(32) }, { localhash: 'ab'.repeat(32), force: true }]) {
        const res = await approve(body);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      }
      expect(payouts.decisions).toEqual([]);
      const ok = await approve({ localhash: 'ab'.repeat(32), comment: ' checked ' });
      expect(ok.statusCode).toBe(200);
      expect(payouts.decisions).toEqual([{ auditor: 'automation:alice', withdrawalId: 'wd_a', localhash: 'ab'.repeat(32) }]);
    });

    it('is FORBIDDEN, reads included, while the automation API is switched off', async () => {
      automationEnabled = false;
      expect((await approve({ localhash: 'ab'.repeat(32) })).json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect((await app().inject({ method: 'GET', url: '/v1/reviews', headers: auth })).statusCode).toBe(403);
      expect(payouts.decisions).toEqual([]);
    });

    it('counts each unknown token against the address, and refuses while the address is throttled', async () => {
      const charged: string[] = [];
      let blocked = false;
      const throttled = buildHttp({
        ...deps(),
        automation: {
          enabled: async () => true,
          throttle: {
            check: async () => {
              if (blocked) throw new WalletError('TOO_MANY_ATTEMPTS', 'wait', { details: { retryAfterSeconds: 1 } });
            },
            charge: async (key) => void charged.push(key),
          },
        },
      });
      const get = (headers: Record<string, string>) => throttled.inject({ method: 'GET', url: '/v1/reviews', headers });
      expect((await get(badAuth)).statusCode).toBe(401);
      expect((await get({})).statusCode).toBe(401);
      expect(charged).toEqual(['bearer:127.0.0.1', 'bearer:127.0.0.1']);
      expect((await get(auth)).statusCode).toBe(200);
      expect(charged).toHaveLength(2);
      blocked = true;
      const refused = await get(auth);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ error: { code: 'TOO_MANY_ATTEMPTS' } });
    });
  });

  describe('queue filters', () => {
    it('passes client, account, asset, amount range and age to the queue; refuses malformed ones', async () => {
      const res = await app().inject({
        method: 'GET',
        url: '/v1/reviews?clientId=cli_1&asset=ETH&minAmount=10&maxAmount=100000000000000000000000&minAgeSeconds=60',
        headers: auth,
      });
      expect(res.statusCode).toBe(200);
      expect(payouts.listCalls.at(-1)?.filter).toEqual({
        clientId: 'cli_1',
        asset: 'ETH',
        minAmount: 10n,
        maxAmount: 10n ** 23n,
        minAgeSeconds: 60,
      });
      for (const q of ['minAmount=-1', 'minAmount=1.5', 'minAgeSeconds=abc', 'accountId=a%20b', 'unknown=1']) {
        expect((await app().inject({ method: 'GET', url: `/v1/reviews?${q}`, headers: auth })).statusCode).toBe(400);
      }
    });
  });

  describe('void', () => {
    it('needs a reason and no other field; voids with the trimmed reason', async () => {
      const post = (payload: unknown) =>
        app().inject({
          method: 'POST',
          url: '/v1/reviews/wd_a/void',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
      for (const bad of [{}, { reason: '  ' }, { reason: 'ok', amount: '1' }, { reason: 7 }]) {
        const res = await post(bad);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      }
      expect(payouts.decisions).toEqual([]);
      const res = await post({ reason: ' the destination refuses ETH ' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ decision: 'voided', reason: 'the destination refuses ETH' });
    });
  });

  describe('limit', () => {
    it.each(['1e2', '0x10', '0b1', '+5', '5.0', ' 5', '0', '201'])('refuses %j, for reviews and alerts', async (limit) => {
      for (const path of ['/v1/reviews', '/v1/alerts']) {
        const res = await app().inject({ method: 'GET', url: path, query: { limit }, headers: auth });
        expect(res.statusCode, path).toBe(400);
        expect(res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      }
    });
  });

  describe('pagination', () => {
    it('gives no next cursor when the page ends the queue exactly', async () => {
      const res = await app().inject({ method: 'GET', url: '/v1/reviews?limit=3', headers: auth });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ data: { withdrawalId: string }[]; next: string | null }>();
      expect(body.data.map((d) => d.withdrawalId)).toEqual(['wd_a', 'wd_b', 'wd_c']);
      expect(body.next).toBeNull();
      expect(payouts.listCalls).toEqual([{ limit: 4, after: undefined }]);
    });

    it('gives the last id of the page as the next cursor when more exist, and the next page from it', async () => {
      const first = (await app().inject({ method: 'GET', url: '/v1/reviews?limit=2', headers: auth })).json<{
        data: { withdrawalId: string }[];
        next: string | null;
      }>();
      expect(first.data.map((d) => d.withdrawalId)).toEqual(['wd_a', 'wd_b']);
      expect(first.next).toBe('wd_b');
      const second = (await app().inject({ method: 'GET', url: `/v1/reviews?limit=2&after=${first.next}`, headers: auth })).json<{
        data: { withdrawalId: string }[];
        next: string | null;
      }>();
      expect(second.data.map((d) => d.withdrawalId)).toEqual(['wd_c']);
      expect(second.next).toBeNull();
    });

    it('pages by 50 by default', async () => {
      await app().inject({ method: 'GET', url: '/v1/reviews', headers: auth });
      expect(payouts.listCalls).toEqual([{ limit: 51, after: undefined }]);
    });
  });

  describe('before signsrv is registered in etcd', () => {
    beforeEach(() => {
      ready = false;
    });

    it.each([
      ['GET', '/v1/reviews'],
      ['GET', '/v1/reviews/wd_a'],
      ['POST', '/v1/reviews/wd_a/approve'],
      ['POST', '/v1/reviews/wd_a/reject'],
      ['GET', '/v1/alerts'],
    ] as const)('%s %s answers 503 UNAVAILABLE (not ready), token or not', async (method, url) => {
      for (const headers of [auth, {}]) {
        const res = await app().inject({ method, url, headers, ...(method === 'POST' ? { payload: { reason: 'no' } } : {}) });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ error: { code: 'UNAVAILABLE', details: { reason: 'NOT_READY' } } });
      }
      expect(payouts.decisions).toEqual([]);
    });

    it('still answers /healthz', async () => {
      const res = await app().inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'ok' });
    });

    it('serves once ready', async () => {
      const http = app();
      expect((await http.inject({ method: 'GET', url: '/v1/reviews', headers: auth })).statusCode).toBe(503);
      ready = true;
      expect((await http.inject({ method: 'GET', url: '/v1/reviews', headers: auth })).statusCode).toBe(200);
    });
  });
});

describe('signsrv gRPC', () => {
  // One real server on a loopback port for the file; it calls through to each test's fresh fake.
  const server = buildGrpc({
    ...deps(),
    payouts: {
      listPending: async (filter, limit, afterId) => payouts.listPending(filter, limit, afterId),
      listDecided: async () => payouts.listDecided(),
      get: async (id) => payouts.get(id),
      approve: async (by, id, input) => payouts.approve(by, id, input),
      reject: async (auditor, id, reason) => payouts.reject(auditor, id, reason),
      voidApproved: async (auditor, id, reason) => payouts.voidApproved(auditor, id, reason),
    },
  });
  let client: PromiseClient<typeof SignServiceService>;

  beforeAll(async () => {
    client = createClient(SignServiceService, await server.listen('127.0.0.1:0', undefined), { target: 'signsrv' });
  });
  afterAll(async () => {
    client.close();
    await server.close(0);
  });

  const codeOf = async (call: Promise<unknown>): Promise<unknown> =>
    call.then(
      () => 'resolved',
      (error: unknown) => (error as { code?: unknown }).code,
    );
  const decision = (overrides: { auditorToken?: string; withdrawalId?: string; reason?: string; localhash?: string } = {}) => ({
    auditorToken: token,
    withdrawalId: 'wd_a',
    reason: '',
    localhash: 'ab'.repeat(32),
    ...overrides,
  });

  describe('approveWithdrawal', () => {
    it('needs the localhash reviewed, and passes it on with the automation principal', async () => {
      expect(await codeOf(client.approveWithdrawal(decision({ localhash: '' })))).toBe('VALIDATION_FAILED');
      expect(await codeOf(client.approveWithdrawal(decision({ localhash: 'AB'.repeat(32) })))).toBe('VALIDATION_FAILED');
      expect(payouts.decisions).toEqual([]);
      const item = await client.approveWithdrawal(decision({ reason: 'looks fine' }));
      expect(item).toMatchObject({ decision: 'approved', decidedBy: 'automation:alice', clientId: 'cli_1' });
      expect(payouts.decisions).toEqual([{ auditor: 'automation:alice', withdrawalId: 'wd_a', localhash: 'ab'.repeat(32) }]);
    });

    it('refuses every call FORBIDDEN while an admin has switched the automation API off', async () => {
      automationEnabled = false;
      expect(await codeOf(client.approveWithdrawal(decision()))).toBe('FORBIDDEN');
      expect(await codeOf(client.listReviews({ auditorToken: token, page: undefined }))).toBe('FORBIDDEN');
      expect(payouts.decisions).toEqual([]);
    });
  });

  describe('rejectWithdrawal', () => {
    it.each([
      ['empty', ''],
      ['blank', ' \t\n '],
      ['over 200 characters', 'x'.repeat(201)],
    ])('refuses an %s reason with VALIDATION_FAILED (INVALID_ARGUMENT), not INTERNAL', async (_, reason) => {
      expect(await codeOf(client.rejectWithdrawal(decision({ reason })))).toBe('VALIDATION_FAILED');
      expect(payouts.decisions).toEqual([]);
    });

    it('rejects with the trimmed reason', async () => {
      const item = await client.rejectWithdrawal(decision({ reason: '  wrong address  ' }));
      expect(item).toMatchObject({ decision: 'rejected', decidedBy: 'automation:alice', reason: 'wrong address' });
      expect(payouts.decisions).toEqual([{ auditor: 'automation:alice', withdrawalId: 'wd_a', reason: 'wrong address' }]);
    });
  });

  describe('voidWithdrawal', () => {
    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['over 200 characters', 'x'.repeat(201)],
    ])('refuses an %s reason with VALIDATION_FAILED', async (_, reason) => {
      expect(await codeOf(client.voidWithdrawal(decision({ reason })))).toBe('VALIDATION_FAILED');
      expect(payouts.decisions).toEqual([]);
    });

    it('refuses an unknown token before anything else, and voids with the trimmed reason', async () => {
      expect(await codeOf(client.voidWithdrawal(decision({ auditorToken: 'nope', withdrawalId: 'bad id', reason: '' })))).toBe(
        'UNAUTHENTICATED',
      );
      const item = await client.voidWithdrawal(decision({ reason: ' cannot be sent ' }));
      expect(item).toMatchObject({ decision: 'voided', decidedBy: 'automation:alice', reason: 'cannot be sent' });
      expect(payouts.decisions).toEqual([{ auditor: 'automation:alice', withdrawalId: 'wd_a', reason: 'cannot be sent' }]);
    });
  });

  describe('authenticates before it validates', () => {
    it.each(['', 'not-a-known-token-0123'])('a bad token (%j) with bad input is UNAUTHENTICATED', async (auditorToken) => {
      expect(await codeOf(client.rejectWithdrawal(decision({ auditorToken, withdrawalId: 'no such id!', reason: '' })))).toBe(
        'UNAUTHENTICATED',
      );
      expect(await codeOf(client.approveWithdrawal(decision({ auditorToken, withdrawalId: 'x'.repeat(65) })))).toBe('UNAUTHENTICATED');
      expect(await codeOf(client.listReviews({ auditorToken, page: { limit: 1000, cursor: 'a b' } }))).toBe('UNAUTHENTICATED');
    });

    it('a good token with bad input is VALIDATION_FAILED', async () => {
      expect(await codeOf(client.approveWithdrawal(decision({ withdrawalId: 'no such id!' })))).toBe('VALIDATION_FAILED');
      expect(await codeOf(client.listReviews({ auditorToken: token, page: { limit: 1000, cursor: '' } }))).toBe('VALIDATION_FAILED');
    });
  });

  describe('listReviews', () => {
    it.each(["wd_a' OR 1=1", 'a b', 'x'.repeat(65), 'wd/a'])('refuses the cursor %j, as HTTP refuses such an `after`', async (cursor) => {
      expect(await codeOf(client.listReviews({ auditorToken: token, page: { limit: 2, cursor } }))).toBe('VALIDATION_FAILED');
    });

    it('pages with a next cursor only when more exist; an empty cursor is the first page', async () => {
      const first = await client.listReviews({ auditorToken: token, page: { limit: 2, cursor: '' } });
      expect(first.items.map((i) => i.withdrawalId)).toEqual(['wd_a', 'wd_b']);
      expect(first.page?.nextCursor).toBe('wd_b');
      const second = await client.listReviews({ auditorToken: token, page: { limit: 2, cursor: 'wd_b' } });
      expect(second.items.map((i) => i.withdrawalId)).toEqual(['wd_c']);
      expect(second.page?.nextCursor).toBe('');
      const exact = await client.listReviews({ auditorToken: token, page: { limit: 3, cursor: '' } });
      expect(exact.items).toHaveLength(3);
      expect(exact.page?.nextCursor).toBe('');
      expect(payouts.listCalls.map((c) => c.limit)).toEqual([3, 3, 4]);
    });

    it('pages by 50 when no page is given', async () => {
      await client.listReviews({ auditorToken: token, page: undefined });
      expect(payouts.listCalls).toEqual([{ limit: 51, after: undefined }]);
    });
  });

  it('reports a missing nonce as empty, and nonce 0 as "0"', async () => {
    payouts.pending = [review('wd_a'), review('wd_b', { nonce: 0 }), review('wd_c', { nonce: 12 })];
    const { items } = await client.listReviews({ auditorToken: token, page: undefined });
    expect(items.map((i) => i.nonce)).toEqual(['', '0', '12']);
  });

  describe('before signsrv is registered in etcd', () => {
    beforeEach(() => {
      ready = false;
    });

    it('answers every review call UNAVAILABLE (not ready), and decides nothing', async () => {
      expect(await codeOf(client.listReviews({ auditorToken: token, page: undefined }))).toBe('UNAVAILABLE');
      expect(await codeOf(client.approveWithdrawal(decision()))).toBe('UNAVAILABLE');
      expect(await codeOf(client.rejectWithdrawal(decision({ reason: 'no' })))).toBe('UNAVAILABLE');
      expect(payouts.decisions).toEqual([]);
      expect(payouts.listCalls).toEqual([]);
    });

    it('still answers getInfo', async () => {
      expect(await client.getInfo({})).toMatchObject({ service: 'signsrv', instanceId: 'signsrv' });
    });
  });
});
