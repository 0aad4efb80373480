import { randomBytes } from 'node:crypto';
import { isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import type { Lease } from 'etcd3';
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

/** Records every lease `d` grants, so a test can make one report its loss the way etcd3 does. */
function recordLeases(d: Discovery): Lease[] {
  const leases: Lease[] = [];
  const grant = d.etcd.lease.bind(d.etcd);
  d.etcd.lease = (...args: Parameters<typeof grant>) => {
    const lease = grant(...args);
    leases.push(lease);
    return lease;
  };
  return leases;
}

/** etcd3's own loss report (stops the keepalive, emits `lost`): private in its types, public at runtime. */
const reportLoss = (lease: Lease) => (lease as unknown as { emitLoss(e: Error): void }).emitLoss(new Error('lease lost (test)'));

/** The lease id holding `key`, '0' or undefined when none. */
async function holderOf(d: Discovery, key: string): Promise<string | undefined> {
  const response = await d.etcd.kv.range({ key: Buffer.from(key) });
  return response.kvs[0]?.lease;
}

/** Polls `check` until it returns true (the test's own timeout bounds it). */
async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 100));
}

describe('losing the registration lease', () => {
  it('two loss reports back to back, etcd still holding the key under the old lease: re-registers once, never gives up', async () => {
    const env = `disc-${randomBytes(4).toString('hex')}`;
    const { d, lines } = discovery(env, 2);
    const leases = recordLeases(d);
    const lost: Error[] = [];
    const registration = await d.register(instance('signsrv'), { exclusive: true, onLost: (e) => lost.push(e) });
    const first = leases.at(-1)!;
    const firstId = await first.grant();
    // Two reports of one loss, 0 ms apart (etcd3 reports a pause once from its keepalive timeout and again from the
    // expired answer). The key is still held by the old lease: it is this process's own registration.
    reportLoss(first);
    reportLoss(first);
    await until(() => lines.some((l) => l.msg === 'registered again'));
    const holder = await holderOf(d, registration.key);
    expect(holder).toBeDefined();
    expect(holder).not.toBe(firstId);
    expect(leases.map((l) => l.revoked())).toContain(false);
    expect(lost).toEqual([]);
    expect(lines.filter((l) => l.msg === 'registration lease lost; registering again')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'registered again')).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'exclusive registration taken by another live instance')).toBe(false);
  }, 30_000);

  it('a lease etcd really revoked, reported lost twice: the key is written again under a new lease', async () => {
    const env = `disc-${randomBytes(4).toString('hex')}`;
    const { d, lines } = discovery(env, 2);
    const leases = recordLeases(d);
    const lost: Error[] = [];
    const registration = await d.register(instance('signsrv'), { exclusive: true, onLost: (e) => lost.push(e) });
    const first = leases.at(-1)!;
    const firstId = await first.grant();
    // What etcd does to a paused process's lease: it expires it, and the key goes with it.
    await d.etcd.leaseClient.leaseRevoke({ ID: firstId });
    reportLoss(first);
    reportLoss(first);
    await until(async () => {
      const holder = await holderOf(d, registration.key);
      return holder !== undefined && holder !== '0' && holder !== firstId;
    });
    expect(lost).toEqual([]);
    expect(lines.filter((l) => l.msg === 'registered again')).toHaveLength(1);
  }, 30_000);

  it('a process paused past its TTL re-registers when it resumes', async () => {
    const env = `disc-${randomBytes(4).toString('hex')}`;
    const { d, lines } = discovery(env, 2);
    const lost: Error[] = [];
    const registration = await d.register(instance('signsrv'), { exclusive: true, onLost: (e) => lost.push(e) });
    const before = await holderOf(d, registration.key);
    for (let pause = 1; pause <= 2; pause++) {
      // A SIGSTOP of this process, as far as its timers and sockets can tell: nothing runs for 2.5 TTLs.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5_000);
      await until(() => lines.filter((l) => l.msg === 'registered again').length >= pause);
    }
    const after = await holderOf(d, registration.key);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(lost).toEqual([]);
  }, 60_000);

  it('gives its identity up only when another live instance holds it', async () => {
    const env = `disc-${randomBytes(4).toString('hex')}`;
    const { d, lines } = discovery(env, 2);
    const leases = recordLeases(d);
    const lost: Error[] = [];
    const registration = await d.register(instance('signsrv'), { exclusive: true, onLost: (e) => lost.push(e) });
    const first = leases.at(-1)!;
    // Another process takes the key the moment our lease is gone, and keeps it alive.
    const other = discovery(env, 2).d;
    const otherLease = other.etcd.lease(2, { autoKeepAlive: true });
    const otherId = await otherLease.grant();
    await d.etcd.leaseClient.leaseRevoke({ ID: await first.grant() });
    await other.etcd
      .put(registration.key)
      .value(JSON.stringify(instance('signsrv')))
      .lease(otherId)
      .exec();
    reportLoss(first);
    await until(() => lost.length > 0);
    expect(isWalletError(lost[0], 'CONFLICT')).toBe(true);
    expect(lines.some((l) => l.msg === 'identity held by another lease; waiting for it to expire')).toBe(true);
    expect(await holderOf(d, registration.key)).toBe(otherId);
    await otherLease.revoke();
  }, 30_000);
});
