import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuthFailureCause,
  type ClientCredentials,
  RequestAuthenticator,
  type RequestAuthenticatorOptions,
  authFailureCause,
  signRequest,
} from './index.js';
import { connectTestRedis } from '@wallet/testkit';

const { redis, prefix, cleanup } = connectTestRedis();
afterAll(cleanup);

const windowMs = 30_000;
const alice = {
  clientId: 'cl_alice',
  keyId: 'key_alice',
  secret: 'alice-secret-0123456789abcdef',
  active: true,
  scopes: ['read'],
  allowedCidrs: [],
};
const bob = {
  clientId: 'cl_bob',
  keyId: 'key_bob',
  secret: 'bob-secret-0123456789abcdef',
  active: true,
  scopes: ['read'],
  allowedCidrs: [],
};
const carol = {
  clientId: 'cl_carol',
  keyId: 'key_carol',
  secret: 'carol-secret-0123456789abcdef',
  active: false,
  scopes: ['read'],
  allowedCidrs: [],
};

let clock: number;
let clients: Map<string, ClientCredentials>;
let lookups: string[];
let failLookup: boolean;

beforeEach(() => {
  clock = Date.now();
  clients = new Map([alice, bob, carol].map((c) => [c.keyId, { ...c }]));
  lookups = [];
  failLookup = false;
});

function authenticator(options: Partial<RequestAuthenticatorOptions> = {}): RequestAuthenticator {
  return new RequestAuthenticator({
    redis,
    prefix,
    now: () => clock,
    windowMs,
    lookup: async (keyId) => {
      lookups.push(keyId);
      if (failLookup) throw new Error('accountsrv down');
      return clients.get(keyId);
    },
    ...options,
  });
}

type Overrides = { keyId?: string; secret?: string; timestamp?: number; nonce?: string };
const withdrawal = {
  method: 'POST',
  pathWithQuery: '/v1/accounts/acc_1/withdrawals?dry=0',
  body: '{"asset":"ETH","to":"0xab","amount":"1"}',
};

/** A request signed by alice (or as overridden), with headers lower-cased as Node delivers them. */
function signed(overrides: Overrides = {}, request = withdrawal) {
  const headers = signRequest({
    keyId: overrides.keyId ?? alice.keyId,
    secret: overrides.secret ?? alice.secret,
    method: request.method,
    pathWithQuery: request.pathWithQuery,
    body: request.body,
    timestamp: overrides.timestamp ?? clock,
    ...(overrides.nonce === undefined ? {} : { nonce: overrides.nonce }),
  });
  return {
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])) as Record<string, string>,
    method: request.method,
    pathWithQuery: request.pathWithQuery,
    rawBody: request.body,
  };
}

const refusedWith = (reason: string) => ({ code: 'UNAUTHENTICATED', details: expect.objectContaining({ reason }) });

/**
 * Refused with the one public reason for anything that depends on the key; the precise cause is on the error for the
 * log, and nowhere in what the client gets (the body is the error's JSON).
 */
async function expectInvalid(attempt: Promise<unknown>, cause: AuthFailureCause): Promise<void> {
  const error = await attempt.then(
    () => expect.fail('authenticated'),
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'invalid_credentials' } });
  expect(authFailureCause(error)).toBe(cause);
  expect(JSON.stringify(error)).not.toMatch(/unknown_key|disabled_key|bad_signature|retired_secret/);
}

describe('RequestAuthenticator accepts', () => {
  it('what signRequest produces, naming the client', async () => {
    await expect(authenticator().authenticate(signed())).resolves.toMatchObject({ clientId: alice.clientId, keyId: alice.keyId });
  });

  it("with the key's scopes and allow-list as the lookup gave them (unknown scope names dropped)", async () => {
    clients.set(alice.keyId, { ...alice, scopes: ['withdraw', 'admin', 'read'], allowedCidrs: ['10.0.0.0/8'] });
    const client = await authenticator().authenticate(signed());
    expect(client.scopes).toEqual(['read', 'withdraw']);
    expect(client.allowList.entries).toEqual(['10.0.0.0/8']);
    expect(client.allowList.allows('10.9.9.9')).toBe(true);
    expect(client.allowList.allows('127.0.0.1')).toBe(false);
  });

  it('nowhere (invalid_credentials, unknown_key) when the stored allow-list does not parse: closed, never open', async () => {
    clients.set(alice.keyId, { ...alice, allowedCidrs: ['10.1.0.0/8'] });
    await expectInvalid(authenticator().authenticate(signed()), 'unknown_key');
  });

  it('a raw Buffer body, a bodyless GET, and header names in any case', async () => {
    const auth = authenticator();
    const request = signed();
    await expect(auth.authenticate({ ...request, rawBody: Buffer.from(withdrawal.body) })).resolves.toMatchObject({
      clientId: alice.clientId,
    });

    const get = { method: 'GET', pathWithQuery: '/v1/accounts/acc_1/balances', body: '' };
    const noBody = signed({}, get);
    await expect(auth.authenticate({ headers: noBody.headers, method: 'GET', pathWithQuery: get.pathWithQuery })).resolves.toMatchObject({
      keyId: alice.keyId,
    });

    const mixed = signRequest({ keyId: bob.keyId, secret: bob.secret, ...withdrawal, timestamp: clock });
    await expect(auth.authenticate({ ...withdrawal, rawBody: withdrawal.body, headers: mixed })).resolves.toMatchObject({
      clientId: bob.clientId,
    });
  });

  it('an upper-case hex signature (the same bytes)', async () => {
    const request = signed();
    request.headers['x-signature'] = request.headers['x-signature']!.toUpperCase();
    await expect(authenticator().authenticate(request)).resolves.toMatchObject({ clientId: alice.clientId });
  });
});

describe('RequestAuthenticator refuses', () => {
  it.each(['x-api-key', 'x-timestamp', 'x-nonce', 'x-signature'])('a request without %s: missing_header', async (name) => {
    const request = signed();
    delete request.headers[name];
    await expect(authenticator().authenticate(request)).rejects.toMatchObject(refusedWith('missing_header'));
    const empty = signed();
    empty.headers[name] = '';
    await expect(authenticator().authenticate(empty)).rejects.toMatchObject(refusedWith('missing_header'));
  });

  it.each(['abc', '12.5', '-1', '1e12', ' 1700000000000', '0x1f', '1234567890123456'])('timestamp %j: bad_timestamp', async (timestamp) => {
    const request = signed();
    request.headers['x-timestamp'] = timestamp;
    await expect(authenticator().authenticate(request)).rejects.toMatchObject(refusedWith('bad_timestamp'));
  });

  it('a timestamp just outside the window either way (stale_timestamp), and accepts one just inside', async () => {
    const auth = authenticator();
    await expect(auth.authenticate(signed({ timestamp: clock - windowMs - 1 }))).rejects.toMatchObject(refusedWith('stale_timestamp'));
    await expect(auth.authenticate(signed({ timestamp: clock + windowMs + 1 }))).rejects.toMatchObject(refusedWith('stale_timestamp'));
    await expect(auth.authenticate(signed({ timestamp: clock - windowMs }))).resolves.toMatchObject({ clientId: alice.clientId });
    await expect(auth.authenticate(signed({ timestamp: clock + windowMs }))).resolves.toMatchObject({ clientId: alice.clientId });
  });

  it.each([
    ['15 characters', 'a'.repeat(15)],
    ['65 characters', 'b'.repeat(65)],
    ['a plus', 'abcdefghijklmnop+'],
    ['a slash', 'abcdefghijklmnop/'],
    ['a dot', 'abcdefghijklmnop.'],
    ['a space', 'abcdefgh ijklmnop'],
    ['padding', 'abcdefghijklmnop=='],
    ['non-ASCII', 'abcdefghijklmnopé'],
  ])('a nonce with %s, even when signed: bad_nonce', async (_name, nonce) => {
    await expect(authenticator().authenticate(signed({ nonce }))).rejects.toMatchObject(refusedWith('bad_nonce'));
  });

  it('accepts nonces of exactly 16 and 64 characters of the whole alphabet', async () => {
    const auth = authenticator();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    await expect(auth.authenticate(signed({ nonce: alphabet }))).resolves.toMatchObject({ clientId: alice.clientId });
    await expect(auth.authenticate(signed({ nonce: '0123456789abcdef' }))).resolves.toMatchObject({ clientId: alice.clientId });
  });

  it('an unknown key (unknown_key) and a disabled one (disabled_key)', async () => {
    const auth = authenticator();
    await expectInvalid(auth.authenticate(signed({ keyId: 'key_nobody', secret: 'whatever' })), 'unknown_key');
    await expectInvalid(auth.authenticate(signed({ keyId: carol.keyId, secret: carol.secret })), 'disabled_key');
  });

  it('a key whose stored secret is empty, even signed with that empty secret: unknown_key', async () => {
    clients.set('key_blank', { clientId: 'cl_blank', keyId: 'key_blank', secret: '', active: true, scopes: ['read'], allowedCidrs: [] });
    await expectInvalid(authenticator().authenticate(signed({ keyId: 'key_blank', secret: '' })), 'unknown_key');
  });

  it('an absurdly long key id without looking it up: unknown_key', async () => {
    await expectInvalid(authenticator().authenticate(signed({ keyId: 'k'.repeat(129) })), 'unknown_key');
    expect(lookups).toEqual([]);
  });

  it('a request signed with the wrong secret, or with another key of the same client set: bad_signature', async () => {
    const auth = authenticator();
    await expectInvalid(auth.authenticate(signed({ secret: 'not-alice-secret' })), 'bad_signature');
    await expectInvalid(auth.authenticate(signed({ secret: bob.secret })), 'bad_signature');
  });

  it.each([
    ['body', { rawBody: withdrawal.body.replace('"1"', '"1000"') }],
    ['body emptied', { rawBody: '' }],
    ['path', { pathWithQuery: '/v1/accounts/acc_2/withdrawals?dry=0' }],
    ['query', { pathWithQuery: '/v1/accounts/acc_1/withdrawals?dry=1' }],
    ['query dropped', { pathWithQuery: '/v1/accounts/acc_1/withdrawals' }],
    ['method', { method: 'PUT' }],
  ])('a tampered %s: bad_signature', async (_name, tampered) => {
    await expectInvalid(authenticator().authenticate({ ...signed(), ...tampered }), 'bad_signature');
  });

  it.each([
    ['not hex', 'z'.repeat(64)],
    ['63 characters', 'a'.repeat(63)],
    ['65 characters', 'a'.repeat(65)],
    ['a valid-looking forgery', '0'.repeat(64)],
  ])('a signature that is %s: bad_signature', async (_name, signature) => {
    const request = signed();
    request.headers['x-signature'] = signature;
    await expectInvalid(authenticator().authenticate(request), 'bad_signature');
  });
});

describe('replay protection', () => {
  it('refuses a nonce used twice by one key, on the same or another gateway: replayed_nonce', async () => {
    const request = signed();
    await authenticator().authenticate(request);
    await expect(authenticator().authenticate(request)).rejects.toMatchObject(refusedWith('replayed_nonce'));
    // Another gateway instance shares the Redis record.
    await expect(authenticator({ now: () => clock + 1000 }).authenticate(request)).rejects.toMatchObject(refusedWith('replayed_nonce'));
  });

  it('keeps nonces per key: another key may use the same nonce', async () => {
    const nonce = `shared_${Date.now()}_nonce`;
    await authenticator().authenticate(signed({ nonce }));
    await expect(authenticator().authenticate(signed({ nonce, keyId: bob.keyId, secret: bob.secret }))).resolves.toMatchObject({
      clientId: bob.clientId,
    });
  });

  it('does not let a request with a bad signature (or stale timestamp) burn the nonce', async () => {
    const nonce = `victim_${Date.now()}_nonce`;
    const auth = authenticator();
    await expectInvalid(auth.authenticate(signed({ nonce, secret: 'attacker-guess' })), 'bad_signature');
    await expect(auth.authenticate(signed({ nonce, timestamp: clock - 2 * windowMs }))).rejects.toMatchObject(
      refusedWith('stale_timestamp'),
    );
    await expectInvalid(auth.authenticate(signed({ nonce, keyId: 'key_nobody' })), 'unknown_key');
    expect(await redis.exists(`${prefix}nonce:${alice.keyId}:${nonce}`)).toBe(0);
    await expect(auth.authenticate(signed({ nonce }))).resolves.toMatchObject({ clientId: alice.clientId });
  });

  it('remembers a nonce for longer than any timestamp carrying it is accepted (2 * window + margin)', async () => {
    const nonce = `ttl_${Date.now()}_nonce_x`;
    await authenticator().authenticate(signed({ nonce }));
    const ttl = await redis.pttl(`${prefix}nonce:${alice.keyId}:${nonce}`);
    expect(ttl).toBeGreaterThan(2 * windowMs);
    expect(ttl).toBeLessThanOrEqual(2 * windowMs + 5_000);
  });

  it('of 20 concurrent copies of one request, accepts exactly one', async () => {
    const request = signed();
    const auth = authenticator();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => auth.authenticate(request)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject(refusedWith('replayed_nonce'));
  });
});

describe('credential cache', () => {
  it('looks a key up once for many requests, and once for a burst of concurrent cold requests', async () => {
    const auth = authenticator();
    await Promise.all(Array.from({ length: 10 }, () => auth.authenticate(signed())));
    for (let i = 0; i < 5; i++) await auth.authenticate(signed());
    expect(lookups).toEqual([alice.keyId]);
  });

  it('lets a disabled client work until credentialCacheMs has passed, then refuses it (disabled_key)', async () => {
    const auth = authenticator({ credentialCacheMs: 10_000 });
    await auth.authenticate(signed());
    clients.set(alice.keyId, { ...alice, active: false, scopes: ['read'], allowedCidrs: [] });
    clock += 9_999;
    await expect(auth.authenticate(signed())).resolves.toMatchObject({ clientId: alice.clientId });
    clock += 2;
    await expectInvalid(auth.authenticate(signed()), 'disabled_key');
  });

  it('remembers an unknown key for only 2 s, so a newly created client works soon after', async () => {
    const dave = {
      clientId: 'cl_dave',
      keyId: 'key_dave',
      secret: 'dave-secret-0123456789',
      active: true,
      scopes: ['read'],
      allowedCidrs: [],
    };
    const auth = authenticator();
    await expectInvalid(auth.authenticate(signed(dave)), 'unknown_key');
    clients.set(dave.keyId, dave);
    clock += 1_999;
    await expectInvalid(auth.authenticate(signed(dave)), 'unknown_key');
    clock += 2;
    await expect(auth.authenticate(signed(dave))).resolves.toMatchObject({ clientId: dave.clientId, keyId: dave.keyId });
    expect(lookups).toEqual([dave.keyId, dave.keyId]);
  });

  it('passes a lookup failure through as is (not UNAUTHENTICATED) and does not cache it', async () => {
    const auth = authenticator();
    failLookup = true;
    await expect(auth.authenticate(signed())).rejects.toThrow('accountsrv down');
    failLookup = false;
    await expect(auth.authenticate(signed())).resolves.toMatchObject({ clientId: alice.clientId });
  });
});
