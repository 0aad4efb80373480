import { signRequest as referenceSign } from '@wallet/client-auth';
import { afterEach, describe, expect, it } from 'vitest';
import { type Answer, type Received, type TestGateway, apiError, startTestGateway } from './testGateway.js';
import type { RetryEvent } from './Transport.js';
import { WalletClient, type WalletClientOptions } from './WalletClient.js';
import { type WalletApiError, isWalletApiError } from './WalletApiError.js';

const keyId = 'key_test';
const secret = 'p3Vw8TqZ2xKc9LmN4rYs6BdF1hJu7GaE0oWiQkXtC5v';
const withdrawal = { id: 'wd_1', status: 'pending_review' };

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/** A client of a scripted gateway that answers `answers[i]` to the i-th request (the last one after that). */
async function clientOf(answers: Answer[], options: Partial<WalletClientOptions> = {}) {
  gateway = await startTestGateway((_r, i) => answers[Math.min(i, answers.length - 1)]!);
  const retries: RetryEvent[] = [];
  const client = new WalletClient({
    baseUrl: gateway.baseUrl,
    keyId,
    secret,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    onRetry: (e) => retries.push(e),
    ...options,
  });
  return { client, received: gateway.received, retries };
}

/** Whether the request's signature verifies, by the reference signer, over the bytes the server received. */
function verifies(r: Received): boolean {
  const expected = referenceSign({
    keyId,
    secret,
    method: r.method,
    pathWithQuery: r.target,
    body: r.body,
    timestamp: Number(r.headers['x-timestamp']),
    nonce: r.headers['x-nonce'],
  });
  return r.headers['x-api-key'] === keyId && r.headers['x-signature'] === expected['X-Signature'];
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function caught(promise: Promise<unknown>): Promise<WalletApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isWalletApiError(error)) throw new Error(`expected a WalletApiError, got ${String(error)}`);
  return error;
}

describe('signed requests', () => {
  it('signs exactly the target and body bytes it sends', async () => {
    const { client, received } = await clientOf([{ status: 201, json: withdrawal }]);
    await client.withdrawals.create('acc_1', {
      asset: 'ETH',
      to: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
      amount: 1_500_000_000_000_000_000n,
    });
    const [r] = received;
    expect(r!.method).toBe('POST');
    expect(r!.target).toBe('/v1/accounts/acc_1/withdrawals');
    expect(r!.body.toString('utf8')).toBe(
      '{"asset":"ETH","to":"0x8ba1f109551bD432803012645Ac136ddd64DBA72","amount":"1500000000000000000"}',
    );
    expect(r!.headers['content-type']).toBe('application/json');
    expect(r!.headers['idempotency-key']).toMatch(/^[\x21-\x7E]{1,64}$/);
    expect(verifies(r!)).toBe(true);
  });

  it('signs a query as sent, with no "?" when there is none and no body or Content-Type on a GET', async () => {
    const { client, received } = await clientOf([{ status: 200, json: { data: [], nextCursor: null } }]);
    await client.ledger.list('acc_1', { asset: 'ETH', limit: 2 }).firstPage();
    await client.assets.list();
    expect(received.map((r) => r.target)).toEqual(['/v1/accounts/acc_1/ledger?asset=ETH&limit=2', '/v1/assets']);
    expect(received.every(verifies)).toBe(true);
    expect(received.map((r) => [r.headers['content-type'], r.headers['idempotency-key'], r.body.length])).toEqual([
      [undefined, undefined, 0],
      [undefined, undefined, 0],
    ]);
  });

  it('keeps and signs a base URL path prefix', async () => {
    gateway = await startTestGateway(() => ({ status: 200, json: { data: [] } }));
    const client = new WalletClient({ baseUrl: `${gateway.baseUrl}/wallet/`, keyId, secret });
    await client.assets.list();
    expect(gateway.received[0]!.target).toBe('/wallet/v1/assets');
    expect(verifies(gateway.received[0]!)).toBe(true);
  });

  it('uses the caller’s Idempotency-Key and refuses a malformed one before sending anything', async () => {
    const { client, received } = await clientOf([{ status: 201, json: { id: 'acc_1' } }]);
    await client.accounts.create({ externalId: 'user-1' }, { idempotencyKey: 'acct-user-1', requestId: 'trace-1' });
    expect(received[0]!.headers['idempotency-key']).toBe('acct-user-1');
    expect(received[0]!.headers['x-request-id']).toBe('trace-1');
    await expect(client.accounts.create({ externalId: 'user-1' }, { idempotencyKey: 'has space' })).rejects.toThrow(TypeError);
    await expect(client.accounts.create({ externalId: 'user-1' }, { idempotencyKey: 'x'.repeat(65) })).rejects.toThrow(TypeError);
    expect(received).toHaveLength(1);
  });

  it('refuses a target the URL parser would rewrite', async () => {
    const { client, received } = await clientOf([{ status: 200, json: {} }]);
    await expect(client.request({ method: 'GET', target: '/v1/a/../assets' })).rejects.toThrow(TypeError);
    expect(received).toHaveLength(0);
  });
});

describe('retries', () => {
  it('retries a 503 with the same Idempotency-Key, a fresh nonce and a valid signature each time', async () => {
    const { client, received, retries } = await clientOf([
      apiError(503, 'SHARD_UNAVAILABLE'),
      apiError(503, 'UNAVAILABLE'),
      { status: 201, json: withdrawal },
    ]);
    const result = await client.withdrawals.create('acc_1', { asset: 'ETH', to: '0xabc', amount: '5' });
    expect(result).toEqual(withdrawal);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(new Set(received.map((r) => r.headers['x-nonce'])).size).toBe(3);
    expect(new Set(received.map((r) => r.body.toString('hex'))).size).toBe(1);
    expect(received.every(verifies)).toBe(true);
    expect(retries.map((e) => [e.attempt, e.error.code])).toEqual([
      [1, 'SHARD_UNAVAILABLE'],
      [2, 'UNAVAILABLE'],
    ]);
  });

  it('retries a lost connection and a timed-out attempt with the same key', async () => {
    const { client, received, retries } = await clientOf(
      [{ drop: true }, { stallMs: 1000, then: { status: 201, json: withdrawal } }, { status: 201, json: withdrawal }],
      { timeoutMs: 200 },
    );
    expect(await client.withdrawals.cancel('wd_1', { idempotencyKey: 'cancel-wd_1' })).toEqual(withdrawal);
    expect(received.map((r) => r.headers['idempotency-key'])).toEqual(['cancel-wd_1', 'cancel-wd_1', 'cancel-wd_1']);
    expect(received.map((r) => r.body.toString())).toEqual(['{}', '{}', '{}']);
    expect(retries.map((e) => [e.error.code, e.error.status, e.error.idempotencyKey])).toEqual([
      ['NETWORK_ERROR', 0, 'cancel-wd_1'],
      ['NETWORK_ERROR', 0, 'cancel-wd_1'],
    ]);
  });

  it('retries every retryable code (409 in progress, 429, 504) and a bare 503/504 from a proxy', async () => {
    const { client, received } = await clientOf(
      [
        apiError(409, 'IDEMPOTENCY_IN_PROGRESS'),
        apiError(429, 'RATE_LIMITED'),
        apiError(504, 'TIMEOUT'),
        { status: 503, text: '<html>maintenance</html>' },
        { status: 504, text: '<html>gateway timeout</html>' },
        { status: 201, json: withdrawal },
      ],
      { retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20 } },
    );
    await client.transfers.create({ from: 'a', to: 'b', asset: 'ETH', amount: 1n }, { idempotencyKey: 'tr-1' });
    expect(received).toHaveLength(6);
    expect(new Set(received.map((r) => r.headers['idempotency-key']))).toEqual(new Set(['tr-1']));
  });

  it.each([
    ['INSUFFICIENT_FUNDS', 422],
    ['VALIDATION_FAILED', 400],
    ['IDEMPOTENCY_KEY_REUSED', 422],
    ['WITHDRAWAL_NOT_CANCELLABLE', 409],
    ['UNAUTHENTICATED', 401],
    ['INTERNAL', 500],
  ])('does not retry %s (%i) and throws it typed', async (code, status) => {
    const { client, received, retries } = await clientOf([
      apiError(status, code, {}, { reason: 'because' }),
      { status: 201, json: withdrawal },
    ]);
    const error = await caught(client.withdrawals.create('acc_1', { asset: 'ETH', to: '0xabc', amount: '5' }, { idempotencyKey: 'k-1' }));
    expect(received).toHaveLength(1);
    expect(retries).toEqual([]);
    expect({ ...error, message: error.message }).toEqual({
      name: 'WalletApiError',
      status,
      code,
      message: `${code} (test)`,
      details: { reason: 'because' },
      requestId: `req-${code}`,
      idempotencyKey: 'k-1',
      attempts: 1,
    });
  });

  it('does not retry a bare 500 or 502', async () => {
    for (const status of [500, 502]) {
      const { client, received } = await clientOf([
        { status, text: 'bad gateway' },
        { status: 200, json: { data: [] } },
      ]);
      const error = await caught(client.assets.list());
      expect([error.status, error.code, received.length]).toEqual([status, 'INVALID_RESPONSE', 1]);
      await gateway!.close();
      gateway = undefined;
    }
  });

  it('stops after maxAttempts and throws the last failure', async () => {
    const { client, received } = await clientOf([apiError(503, 'SHARD_UNAVAILABLE')], {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const error = await caught(client.accounts.balances('acc_1'));
    expect([error.code, error.attempts, received.length]).toEqual(['SHARD_UNAVAILABLE', 3, 3]);
  });

  it('waits at least Retry-After, and does not wait for one longer than maxRetryAfterMs', async () => {
    const slow = await clientOf([apiError(429, 'RATE_LIMITED', { 'retry-after': '1' }), { status: 200, json: { data: [] } }]);
    await slow.client.assets.list();
    expect(slow.retries.map((e) => e.delayMs)).toEqual([1000]);
    expect(slow.received).toHaveLength(2);
    await gateway!.close();

    const tooSlow = await clientOf([apiError(503, 'SHARD_UNAVAILABLE', { 'retry-after': '120' }), { status: 200, json: { data: [] } }]);
    const error = await caught(tooSlow.client.assets.list());
    expect([error.code, tooSlow.received.length]).toEqual(['SHARD_UNAVAILABLE', 1]);
  });

  it('gives up at once when the caller aborts, during a wait or an attempt', async () => {
    const waiting = await clientOf([apiError(503, 'UNAVAILABLE', { 'retry-after': '30' })]);
    const controller = new AbortController();
    const call = waiting.client.assets.list({ signal: controller.signal });
    await until(() => waiting.retries.length === 1);
    controller.abort(new Error('caller gave up'));
    await expect(call).rejects.toThrow('caller gave up');
    expect(waiting.received).toHaveLength(1);
    await gateway!.close();

    const stalled = await clientOf([{ stallMs: 5000, then: { status: 200, json: { data: [] } } }]);
    const second = new AbortController();
    const stalledCall = stalled.client.assets.list({ signal: second.signal });
    await until(() => stalled.received.length === 1);
    second.abort(new Error('caller gave up again'));
    await expect(stalledCall).rejects.toThrow('caller gave up again');
    expect(stalled.retries).toEqual([]);
  });

  it('reports a 2xx that is not JSON as INVALID_RESPONSE, without retrying', async () => {
    const { client, received } = await clientOf([{ status: 200, text: 'ok' }]);
    const error = await caught(client.assets.list());
    expect([error.code, received.length]).toEqual(['INVALID_RESPONSE', 1]);
  });

  it('reads the key’s rate limit from the RateLimit-* headers', async () => {
    const headers = { 'ratelimit-limit': '1000', 'ratelimit-remaining': '998', 'ratelimit-reset': '1', 'x-request-id': 'req-1' };
    const { client } = await clientOf([
      { status: 200, json: { data: [] }, headers },
      { status: 200, json: { data: [] } },
    ]);
    const first = await client.request({ method: 'GET', target: '/v1/assets' });
    expect(first).toEqual({
      status: 200,
      data: { data: [] },
      requestId: 'req-1',
      replayed: false,
      attempts: 1,
      rateLimit: { limit: 1000, remaining: 998, resetSeconds: 1 },
    });
    expect((await client.request({ method: 'GET', target: '/v1/assets' })).rateLimit).toBeNull();
  });

  it('returns the 503 body of GET /v1/health as an answer', async () => {
    const body = { status: 'unavailable', accountsrv: { serving: 0, total: 1 }, transrv: { serving: 1, total: 1 } };
    const { client, received } = await clientOf([{ status: 503, json: body }]);
    expect(await client.health()).toEqual(body);
    expect(received).toHaveLength(1);
  });
});
