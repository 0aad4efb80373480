import { randomBytes } from 'node:crypto';
import { isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { Discovery } from './Discovery.js';
import { servicePrefix } from './instance.js';

// Exclusive registration against the stack's real etcd: a crashed holder's lease is waited out, a live holder (one
// that keeps renewing its lease) is refused as soon as a renewal is seen, not when the wait runs out.

const endpoints = [process.env['ETCD_ENDPOINTS'] ?? 'http://127.0.0.1:2379'];
const opened: Discovery[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
});

/** A Discovery whose log lines are collected. */
function discovery(env: string, ttlSeconds: number) {
  const lines: { msg?: string }[] = [];
  const log = createLogger('discovery-test', {}, { write: (line: string) => void lines.push(JSON.parse(line) as { msg?: string }) });
  const d = new Discovery({ endpoints, env, ttlSeconds, log });
  opened.push(d);
  return { d, lines };
}

const instance = (instanceId: string) => ({
  service: 'signsrv' as const,
  instanceId,
  address: '127.0.0.1:1',
  startedAt: new Date().toISOString(),
});

describe('exclusive registration', () => {
  it('refuses a key whose holder is alive as soon as it renews its lease, long before the wait would end', async () => {
    const env = `disc-${randomBytes(4).toString('hex')}`;
    await discovery(env, 2).d.register(instance('signsrv'), { exclusive: true });
    const { d, lines } = discovery(env, 2);
    const error = await d.register(instance('signsrv'), { exclusive: true, waitForExclusiveMs: 60_000 }).catch((e: unknown) => e);
    expect(isWalletError(error, 'CONFLICT')).toBe(true);
    expect(lines.some((l) => l.msg === 'identity held by a live instance (its lease is being renewed)')).toBe(true);
  });

  it("waits out a crashed holder's lease (never renewed), then registers", async () => {
    const env = `disc-${randomBytes(4).toString('hex')}`;
    const crashed = discovery(env, 2).d;
    // What a kill -9 leaves behind: the key under a lease that nobody renews any more.
    const lease = crashed.etcd.lease(2, { autoKeepAlive: false });
    await lease
      .put(`${servicePrefix(env, 'signsrv')}signsrv`)
      .value(JSON.stringify(instance('signsrv')))
      .exec();
    const { d, lines } = discovery(env, 2);
    const registration = await d.register(instance('signsrv'), { exclusive: true, waitForExclusiveMs: 60_000 });
    expect(registration.key).toBe(`${servicePrefix(env, 'signsrv')}signsrv`);
    expect(lines.some((l) => l.msg === 'identity held by a lease; waiting for it to be released or expire')).toBe(true);
    expect(lines.some((l) => l.msg === 'identity held by a live instance (its lease is being renewed)')).toBe(false);
  });
});
