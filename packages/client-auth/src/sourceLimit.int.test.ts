import { randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClientCredentials, RequestAuthenticator, type RequestAuthenticatorOptions, authFailureCause, signRequest } from './index.js';
import { connectTestRedis } from '@wallet/testkit';

const { redis, prefix, cleanup } = connectTestRedis();
afterAll(cleanup);

const alice = {
  clientId: 'cl_alice',
  keyId: 'key_alice',
  secret: 'alice-secret-0123456789abcdef',
  active: true,
  scopes: ['read'],
  allowedCidrs: [],
};
const attacker = '203.0.113.7';
const request = { method: 'GET', pathWithQuery: '/v1/accounts/acc_1/balances', body: '' };

let clock: number;
let clients: Map<string, ClientCredentials>;
let lookups: string[];
/** When set, lookups wait for it before answering (to hold them in flight). */
let gate: Promise<void> | undefined;
let inFlight: number;
let maxInFlight: number;

beforeEach(() => {
  clock = Date.now();
  clients = new Map([[alice.keyId, { ...alice }]]);
  lookups = [];
  gate = undefined;
  inFlight = 0;
  maxInFlight = 0;
});

function authenticator(options: Partial<RequestAuthenticatorOptions> = {}): RequestAuthenticator {
  return new RequestAuthenticator({
    redis,
    prefix,
    now: () => clock,
    lookup: async (keyId) => {
      lookups.push(keyId);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (gate !== undefined) await gate;
        return clients.get(keyId);
      } finally {
        inFlight--;
      }
    },
    ...options,
  });
}

function signed(keyId: string, secret: string, sourceAddress?: string) {
  const headers = signRequest({ keyId, secret, ...request, timestamp: clock });
  return {
    headers,
    method: request.method,
    pathWithQuery: request.pathWithQuery,
    ...(sourceAddress === undefined ? {} : { sourceAddress }),
  };
}

const randomKey = () => `key_${randomBytes(12).toString('hex')}`;

/** 'ok', 'invalid_credentials', or the refusal's code (RATE_LIMITED). */
async function outcome(attempt: Promise<unknown>): Promise<string> {
  return attempt.then(
    () => 'ok',
    (e: { code?: string; details?: { reason?: string } }) => (e.code === 'UNAUTHENTICATED' ? String(e.details?.reason) : String(e.code)),
  );
}

describe('per source address', () => {
  it('2,000 random keys from one address cost at most its burst of lookups; the rest get RATE_LIMITED before any lookup', async () => {
    const auth = authenticator({ sourceLimit: { burst: 30, perSecond: 5 } });
    await auth.authenticate(signed(alice.keyId, alice.secret, attacker)); // alice's key is cached
    lookups = [];
    const results = await Promise.all(
      Array.from({ length: 2_000 }, () => outcome(auth.authenticate(signed(randomKey(), 'guess', attacker)))),
    );
    expect(lookups.length).toBeLessThanOrEqual(30);
    expect(results.filter((r) => r === 'invalid_credentials')).toHaveLength(lookups.length);
    expect(results.filter((r) => r === 'RATE_LIMITED')).toHaveLength(2_000 - lookups.length);

    const limited = await auth.authenticate(signed(randomKey(), 'guess', attacker)).catch((e: unknown) => e);
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } });
    expect((limited as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds).toBeGreaterThanOrEqual(1);

    // A client behind the same address whose key is cached still gets through; another address is not affected.
    await expect(auth.authenticate(signed(alice.keyId, alice.secret, attacker))).resolves.toMatchObject({ clientId: alice.clientId });
    expect(await outcome(auth.authenticate(signed(randomKey(), 'guess', '198.51.100.1')))).toBe('invalid_credentials');

    // The budget comes back with time (5 per second).
    clock += 1_000;
    const later = await Promise.all(Array.from({ length: 10 }, () => outcome(auth.authenticate(signed(randomKey(), 'guess', attacker)))));
    expect(later.filter((r) => r === 'invalid_credentials')).toHaveLength(5);
  });

  it('does not lock a client out by its own valid requests, even when each needs a lookup', async () => {
    const auth = authenticator({ sourceLimit: { burst: 3, perSecond: 1 } });
    for (let i = 0; i < 20; i++) {
      auth.invalidate(alice.keyId); // as a change announcement would: the next request looks the key up
      await expect(auth.authenticate(signed(alice.keyId, alice.secret, attacker))).resolves.toMatchObject({ clientId: alice.clientId });
    }
    expect(lookups).toHaveLength(20);
  });

  it("a client's burst while its key is looked up (first use, or the cache entry expired) takes one attempt, not one per request", async () => {
    const auth = authenticator({ sourceLimit: { burst: 3, perSecond: 1 } });
    let open = (): void => {};
    gate = new Promise((resolve) => (open = resolve));
    // 50 valid requests of one key from one address, all arriving while the key's one lookup is in flight.
    const burst = Array.from({ length: 50 }, () => outcome(auth.authenticate(signed(alice.keyId, alice.secret, attacker))));
    await new Promise((r) => setTimeout(r, 20));
    open();
    expect(await Promise.all(burst)).toEqual(Array.from({ length: 50 }, () => 'ok'));
    expect(lookups).toEqual([alice.keyId]);
    // Its budget is whole: three made-up keys are looked up, the fourth is refused.
    const after = [];
    for (let i = 0; i < 4; i++) after.push(await outcome(auth.authenticate(signed(randomKey(), 'guess', attacker))));
    expect(after).toEqual(['invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'RATE_LIMITED']);
  });

  it('charges requests that join a lookup and then fail: a burst of bad signatures while the key is looked up', async () => {
    const auth = authenticator({ sourceLimit: { burst: 3, perSecond: 1 } });
    let open = (): void => {};
    gate = new Promise((resolve) => (open = resolve));
    const burst = Array.from({ length: 10 }, () => outcome(auth.authenticate(signed(alice.keyId, 'guess', attacker))));
    await new Promise((r) => setTimeout(r, 20));
    open();
    expect(await Promise.all(burst)).toEqual(Array.from({ length: 10 }, () => 'invalid_credentials'));
    expect(lookups).toEqual([alice.keyId]);
    expect(await outcome(auth.authenticate(signed(randomKey(), 'guess', attacker)))).toBe('RATE_LIMITED');
  });

  it('counts failed signatures on a cached key against the address too', async () => {
    const auth = authenticator({ sourceLimit: { burst: 3, perSecond: 1 } });
    await auth.authenticate(signed(alice.keyId, alice.secret, attacker));
    for (let i = 0; i < 3; i++)
      expect(await outcome(auth.authenticate(signed(alice.keyId, 'guess', attacker)))).toBe('invalid_credentials');
    expect(await outcome(auth.authenticate(signed(randomKey(), 'guess', attacker)))).toBe('RATE_LIMITED');
  });
});

describe('lookups of keys not in the cache', () => {
  it('run at most maxConcurrentLookups at once, and refuse beyond the queue with RATE_LIMITED', async () => {
    const auth = authenticator({ maxConcurrentLookups: 4, maxQueuedLookups: 6 });
    let open = (): void => {};
    gate = new Promise((resolve) => (open = resolve));
    const pending = Array.from({ length: 20 }, () => outcome(auth.authenticate(signed(randomKey(), 'guess'))));
    await new Promise((r) => setTimeout(r, 20));
    expect(inFlight).toBe(4);
    open();
    const results = await Promise.all(pending);
    expect(maxInFlight).toBe(4);
    expect(lookups).toHaveLength(10);
    expect(results.filter((r) => r === 'RATE_LIMITED')).toHaveLength(10);
    expect(results.filter((r) => r === 'invalid_credentials')).toHaveLength(10);
  });

  it('remember unknown keys apart from found ones: a flood of unknown keys evicts no real client', async () => {
    const auth = authenticator({ maxCachedKeys: 10 });
    await auth.authenticate(signed(alice.keyId, alice.secret));
    for (let i = 0; i < 50; i++) await outcome(auth.authenticate(signed(randomKey(), 'guess')));
    lookups = [];
    await auth.authenticate(signed(alice.keyId, alice.secret));
    expect(lookups).toEqual([]);
  });
});

describe('refusals that depend on the key', () => {
  it('all answer invalid_credentials, with the precise cause only on the error', async () => {
    clients.set('key_off', {
      clientId: 'cl_off',
      keyId: 'key_off',
      secret: 'off-secret-0123456789abcdef',
      active: false,
      scopes: ['read'],
      allowedCidrs: [],
    });
    const auth = authenticator();
    const causes: (string | undefined)[] = [];
    for (const attempt of [
      auth.authenticate(signed('key_nobody', 'guess')),
      auth.authenticate(signed('key_off', 'off-secret-0123456789abcdef')),
      auth.authenticate(signed(alice.keyId, 'guess')),
    ]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'invalid_credentials' } });
      expect(Object.keys((error as { details: object }).details)).toEqual(['reason']);
      causes.push(authFailureCause(error));
    }
    expect(causes).toEqual(['unknown_key', 'disabled_key', 'bad_signature']);
  });
});
