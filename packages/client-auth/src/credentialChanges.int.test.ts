import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClientCredentials,
  RequestAuthenticator,
  type RequestAuthenticatorOptions,
  authFailureCause,
  publishCredentialChange,
  signRequest,
} from './index.js';
import { connectTestRedis } from '@wallet/testkit';

// Two authenticators on one Redis and one prefix stand for two gateway processes; the map stands for accountsrv.
const { redis, prefix, cleanup } = connectTestRedis();
const publisher = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
afterAll(async () => {
  publisher.disconnect();
  await cleanup();
});

const alice = {
  clientId: 'cl_alice',
  keyId: 'key_alice',
  secret: 'alice-secret-0123456789abcdef',
  active: true,
  scopes: ['read'],
  allowedCidrs: [],
};
const request = { method: 'GET', pathWithQuery: '/v1/accounts/acc_1/balances', body: '' };

let clock: number;
let clients: Map<string, ClientCredentials>;
let lookups: string[];
let started: RequestAuthenticator[];

beforeEach(() => {
  clock = Date.now();
  clients = new Map([[alice.keyId, { ...alice }]]);
  lookups = [];
  started = [];
});
afterEach(async () => {
  await Promise.all(started.map((a) => a.close()));
});

function gateway(options: Partial<RequestAuthenticatorOptions> = {}): RequestAuthenticator {
  const auth = new RequestAuthenticator({
    redis,
    prefix,
    // The clock never reaches the 30 s TTL in these tests: only an announcement or a re-subscription can refresh.
    now: () => clock,
    lookup: async (keyId) => {
      lookups.push(keyId);
      return clients.get(keyId);
    },
    ...options,
  });
  started.push(auth);
  return auth;
}

function signed(secret = alice.secret) {
  const headers = signRequest({ keyId: alice.keyId, secret, ...request, timestamp: clock });
  return { headers, method: request.method, pathWithQuery: request.pathWithQuery };
}

/** What authenticate() decides: 'ok', or the precise cause of the refusal. */
async function outcome(auth: RequestAuthenticator, secret = alice.secret): Promise<string> {
  try {
    await auth.authenticate(signed(secret));
    return 'ok';
  } catch (error) {
    return authFailureCause(error) ?? String((error as { details?: { reason?: string } }).details?.reason);
  }
}

/** Polls until `auth` decides `expected` (announcements are asynchronous); fails after 5 s. */
async function eventually(auth: RequestAuthenticator, expected: string, secret = alice.secret): Promise<void> {
  const deadline = Date.now() + 5_000;
  let last = await outcome(auth, secret);
  while (last !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    last = await outcome(auth, secret);
  }
  expect(last).toBe(expected);
}

describe('credential change announcements', () => {
  it('a published change drops the key on every subscribed gateway; the next request sees the new record', async () => {
    const [a, b] = [gateway(), gateway()];
    await Promise.all([a.start(), b.start()]);
    expect(await outcome(a)).toBe('ok');
    expect(await outcome(b)).toBe('ok');

    clients.set(alice.keyId, { ...alice, active: false, scopes: ['read'], allowedCidrs: [] });
    expect(await outcome(b)).toBe('ok'); // cached: not told yet
    await publishCredentialChange(publisher, prefix, alice.keyId);
    await eventually(a, 'disabled_key');
    await eventually(b, 'disabled_key');

    clients.set(alice.keyId, { ...alice, active: true, scopes: ['read'], allowedCidrs: [] });
    await publishCredentialChange(publisher, prefix, alice.keyId);
    await eventually(a, 'ok');
    await eventually(b, 'ok');
  });

  it('a gateway whose subscription connection dropped clears its whole cache when it is back', async () => {
    const a = gateway();
    await a.start();
    expect(await outcome(a)).toBe('ok');
    // Disabled while the announcement is lost (never published here): only the re-subscription can reveal it.
    clients.set(alice.keyId, { ...alice, active: false, scopes: ['read'], allowedCidrs: [] });
    const killed = await killSubscriptions(`client-auth:${encodeURIComponent(prefix)}changes`);
    expect(killed).toBeGreaterThan(0);
    await eventually(a, 'disabled_key');
  });
});

describe('secret rotation with an overlap', () => {
  it('accepts the old secret until the overlap ends, then refuses it (retired_secret); the new one throughout', async () => {
    const auth = gateway();
    const rotated = {
      ...alice,
      secret: 'alice-new-secret-0123456789ab',
      previousSecret: alice.secret,
      previousSecretExpiresAt: clock + 10_000,
    };
    clients.set(alice.keyId, rotated);
    expect(await outcome(auth, alice.secret)).toBe('ok');
    expect(await outcome(auth, rotated.secret)).toBe('ok');
    clock += 9_999;
    expect(await outcome(auth, alice.secret)).toBe('ok');
    clock += 1;
    expect(await outcome(auth, alice.secret)).toBe('retired_secret');
    expect(await outcome(auth, rotated.secret)).toBe('ok');
    expect(await outcome(auth, 'some-other-secret-0123456789')).toBe('bad_signature');
    expect(lookups).toEqual([alice.keyId]); // the expiry is checked per request, without another lookup
  });

  it('takes the expiry as ISO text (as accountsrv sends it), and no previous secret when it is empty', async () => {
    const auth = gateway();
    clients.set(alice.keyId, {
      ...alice,
      secret: 'alice-new-secret-0123456789ab',
      previousSecret: alice.secret,
      previousSecretExpiresAt: new Date(clock + 1_000).toISOString(),
    });
    expect(await outcome(auth, alice.secret)).toBe('ok');
    clock += 1_000;
    expect(await outcome(auth, alice.secret)).toBe('retired_secret');

    const other = gateway();
    clients.set(alice.keyId, { ...alice, secret: 'alice-new-secret-0123456789ab', previousSecret: '', previousSecretExpiresAt: '' });
    expect(await outcome(other, alice.secret)).toBe('bad_signature');
  });
});

/** Kills this test's subscription connections by name (CLIENT KILL), as a network fault would; returns how many. */
async function killSubscriptions(name: string): Promise<number> {
  const list = (await redis.call('CLIENT', 'LIST')) as string;
  let killed = 0;
  for (const line of list.split('\n')) {
    const fields = Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string]));
    if (fields['name'] === name && fields['id'] !== undefined) {
      await redis.call('CLIENT', 'KILL', 'ID', fields['id']);
      killed++;
    }
  }
  return killed;
}
