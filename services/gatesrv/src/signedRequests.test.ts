import { type KeyScope, type RateLimitDecision, SourceAllowList, allKeyScopes, parseAllowList } from '@wallet/client-auth';
import { WalletError } from '@wallet/errors';
import { createEdgeApp } from '@wallet/http-edge';
import { createLogger } from '@wallet/logger';
import { describe, expect, it } from 'vitest';
import { buildApp, type GatesrvDeps } from './app.js';
import { requiredScope } from './routeScopes.js';
import { type Calls, registry, routeDeps } from './routes/routeTestApp.js';
import { signedRequests } from './signedRequests.js';

// The signed-request hooks of the whole app with fakes behind them: what a key may do (scopes, allow-list), the
// RateLimit-* and X-Request-Id headers, and the access log. The signature itself is RequestAuthenticator's (its own
// tests): here the fake authenticator accepts every request as the key the test names.

type Key = { scopes: readonly KeyScope[]; cidrs?: string };

function gateway(key: Key | 'refuse', options: { decision?: RateLimitDecision; trustedProxies?: string[] } = {}) {
  const calls: Calls = [];
  const begun: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const decision = options.decision ?? { allowed: true, retryAfterSeconds: 0, limit: 100, remaining: 99, resetSeconds: 1 };
  const deps = {
    ...routeDeps(
      {
        accountsrv: {
          getServedChains: async () => ({ chains: [] }),
          createAccount: async () => ({
            account: { id: 'acc_1', clientId: 'cl_TEST', externalId: 'x', nodeId: 't1', createdAt: new Date(0).toISOString() },
            created: true,
          }),
        },
      },
      calls,
    ),
    registry,
    instanceId: 'gw-test',
    log: createLogger('gatesrv-test', {}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    bodyLimitBytes: 64 * 1024,
    ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }),
    peers: { health: async () => ({ accountsrv: [], transrv: [] }) },
    authenticator: {
      authenticate: async () => {
        if (key === 'refuse') {
          throw new WalletError('UNAUTHENTICATED', 'request authentication failed', { details: { reason: 'invalid_credentials' } });
        }
        return { clientId: 'cl_TEST', keyId: 'key_T', scopes: key.scopes, allowList: new SourceAllowList(parseAllowList(key.cidrs ?? '')) };
      },
    },
    rateLimiter: { consume: async () => decision },
    idempotency: {
      begin: async (_client: string, k: string) => {
        begun.push(k);
        return { kind: 'new', owner: 'o' };
      },
      hold: () => ({ stop: () => {} }),
      complete: async () => true,
      abandon: async () => true,
    },
  } as unknown as GatesrvDeps;
  return { app: buildApp(deps), calls, begun, lines };
}

const json = { 'content-type': 'application/json', 'idempotency-key': 'idem-1' };
/** A request of each route kind, and the scope docs/api.md says it needs. */
const requests = [
  { scope: 'read', method: 'GET', url: '/v1/assets' },
  { scope: 'read', method: 'GET', url: '/v1/accounts/acc_1' },
  { scope: 'read', method: 'POST', url: '/v1/accounts', headers: json, payload: '{"externalId":"x"}' },
  { scope: 'read', method: 'POST', url: '/v1/accounts/acc_1/addresses', headers: json, payload: '{"chain":"eth"}' },
  {
    scope: 'transfer',
    method: 'POST',
    url: '/v1/transfers',
    headers: json,
    payload: '{"from":"acc_1","to":"acc_2","asset":"ETH","amount":"1"}',
  },
  {
    scope: 'withdraw',
    method: 'POST',
    url: '/v1/accounts/acc_1/withdrawals',
    headers: json,
    payload: '{"asset":"ETH","to":"0x1","amount":"1"}',
  },
  { scope: 'withdraw', method: 'POST', url: '/v1/withdrawals/wd_1/cancel', headers: json, payload: '{}' },
] as const;

const keyScopeSets: KeyScope[][] = [
  ['read'],
  ['transfer'],
  ['withdraw'],
  ['read', 'transfer'],
  ['transfer', 'withdraw'],
  [...allKeyScopes],
];

describe('scopes', () => {
  it.each(keyScopeSets.flatMap((scopes) => requests.map((r) => [scopes.join(','), `${r.method} ${r.url}`, scopes, r] as const)))(
    'a key with %s: %s',
    async (_name, _route, scopes, { scope, ...request }) => {
      const { app, calls, begun } = gateway({ scopes });
      const r = await app.inject(request);
      if (scopes.includes(scope)) {
        expect(r.statusCode, r.body).not.toBe(403);
      } else {
        expect(r.statusCode).toBe(403);
        expect(r.json()).toEqual({ error: { code: 'INSUFFICIENT_SCOPE', message: expect.any(String), details: { required: scope } } });
        // Nothing done: no upstream call, the Idempotency-Key not claimed.
        expect(calls).toEqual([]);
        expect(begun).toEqual([]);
      }
      await app.close();
    },
  );

  it('every signed route of the app has a scope, and the document lists it', async () => {
    const { app } = gateway({ scopes: ['read'] });
    await app.ready();
    const doc = app.apiDocument.toJSON() as unknown as { paths: Record<string, Record<string, { security: Record<string, string[]>[] }>> };
    let secured = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        if (op.security.length === 0) continue;
        secured++;
        expect(op.security, `${method} ${path}`).toEqual([{ signature: [requiredScope(method.toUpperCase(), path)] }]);
      }
    }
    expect(secured).toBeGreaterThan(10);
    await app.close();
  });

  it('refuses to build a signed POST route that has no scope', async () => {
    const app = createEdgeApp({ log: createLogger('t', { level: 'silent' }), bodyLimitBytes: 1024 });
    await expect(
      app.register(
        async (v1) => {
          signedRequests(v1, {} as never);
          v1.post('/somethingNew', async () => ({}));
        },
        { prefix: '/v1' },
      ),
    ).rejects.toThrow(/POST \/v1\/somethingNew .*routeScopes\.ts/);
  });
});

describe('source allow-lists', () => {
  it('refuses a source outside the list (SOURCE_NOT_ALLOWED, nothing done) and serves one inside', async () => {
    const { app, calls, begun } = gateway({ scopes: ['read'], cidrs: '10.0.0.0/8' });
    const outside = await app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: json,
      payload: '{"externalId":"x"}',
      remoteAddress: '127.0.0.1',
    });
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toEqual({ error: { code: 'SOURCE_NOT_ALLOWED', message: expect.any(String), details: {} } });
    expect(outside.body).not.toContain('127.0.0.1');
    expect(calls).toEqual([]);
    expect(begun).toEqual([]);
    const inside = await app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: json,
      payload: '{"externalId":"x"}',
      remoteAddress: '10.2.3.4',
    });
    expect(inside.statusCode).toBe(201);
    expect(calls.map((c) => c.method)).toEqual(['createAccount']);
    await app.close();
  });

  it('outside the list and without the scope: SOURCE_NOT_ALLOWED (the scopes are not revealed)', async () => {
    const { app } = gateway({ scopes: ['read'], cidrs: '10.0.0.0/8' });
    const r = await app.inject({ method: 'POST', url: '/v1/transfers', headers: json, payload: '{}', remoteAddress: '127.0.0.1' });
    expect(r.json()).toMatchObject({ error: { code: 'SOURCE_NOT_ALLOWED' } });
    await app.close();
  });

  it('takes the source from the socket: X-Forwarded-For is ignored unless it comes from a trusted proxy', async () => {
    const plain = gateway({ scopes: ['read'], cidrs: '10.0.0.0/8' });
    const spoofed = await plain.app.inject({
      method: 'GET',
      url: '/v1/assets',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '10.2.3.4' },
    });
    expect(spoofed.statusCode).toBe(403);
    await plain.app.close();
    const proxied = gateway({ scopes: ['read'], cidrs: '10.0.0.0/8' }, { trustedProxies: ['127.0.0.1/32'] });
    const viaProxy = await proxied.app.inject({
      method: 'GET',
      url: '/v1/assets',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '10.2.3.4' },
    });
    expect(viaProxy.statusCode, viaProxy.body).toBe(200);
    const proxyOutside = await proxied.app.inject({
      method: 'GET',
      url: '/v1/assets',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '192.0.2.1' },
    });
    expect(proxyOutside.statusCode).toBe(403);
    await proxied.app.close();
  });
});

describe('headers and the access log', () => {
  it('sends RateLimit-* on every answer of a verified key: success, refusal, 429 (with Retry-After)', async () => {
    const ok = gateway(
      { scopes: ['read'] },
      { decision: { allowed: true, retryAfterSeconds: 0, limit: 50, remaining: 7, resetSeconds: 1 } },
    );
    for (const request of [
      { url: '/v1/assets' },
      { url: '/v1/accounts/nope' },
      { url: '/v1/transfers', method: 'POST' as const, headers: json, payload: '{}' },
    ]) {
      const r = await ok.app.inject({ method: 'GET', ...request });
      expect({
        url: request.url,
        limit: r.headers['ratelimit-limit'],
        remaining: r.headers['ratelimit-remaining'],
        reset: r.headers['ratelimit-reset'],
      }).toEqual({
        url: request.url,
        limit: '50',
        remaining: '7',
        reset: '1',
      });
    }
    await ok.app.close();
    const limited = gateway(
      { scopes: ['read'] },
      { decision: { allowed: false, retryAfterSeconds: 2, limit: 50, remaining: 0, resetSeconds: 3 } },
    );
    const r = await limited.app.inject({ method: 'GET', url: '/v1/assets' });
    expect(r.statusCode).toBe(429);
    expect(r.headers).toMatchObject({ 'ratelimit-limit': '50', 'ratelimit-remaining': '0', 'ratelimit-reset': '3', 'retry-after': '2' });
    await limited.app.close();
  });

  it('sends X-Request-Id on every answer, 401 included, and no RateLimit-* before a key verified', async () => {
    const { app } = gateway('refuse');
    const r = await app.inject({ method: 'GET', url: '/v1/assets', headers: { 'x-request-id': 'trace-401' } });
    expect(r.statusCode).toBe(401);
    expect(r.headers['x-request-id']).toBe('trace-401');
    expect(r.headers['ratelimit-limit']).toBeUndefined();
    await app.close();
  });

  it('writes one access line per request with the verified key id (null when refused), never the path or body', async () => {
    const accepted = gateway({ scopes: ['read'] });
    await accepted.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: { ...json, 'x-request-id': 'acc-ok' },
      payload: '{"externalId":"secret-ext"}',
    });
    const access = accepted.lines.filter((l) => l['msg'] === 'access');
    expect(access).toEqual([
      expect.objectContaining({ requestId: 'acc-ok', method: 'POST', route: '/v1/accounts', status: 201, keyId: 'key_T' }),
    ]);
    // Every line of the request carries its id.
    expect(accepted.lines.filter((l) => l['requestId'] !== 'acc-ok')).toEqual([]);
    expect(JSON.stringify(accepted.lines)).not.toContain('secret-ext');
    await accepted.app.close();
    const refused = gateway('refuse');
    await refused.app.inject({ method: 'GET', url: '/v1/accounts/acc_1', headers: { 'x-request-id': 'acc-401' } });
    expect(refused.lines.filter((l) => l['msg'] === 'access')).toEqual([
      expect.objectContaining({ requestId: 'acc-401', route: '/v1/accounts/:id', status: 401, keyId: null }),
    ]);
    await refused.app.close();
  });
});
