import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@wallet/logger';
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { campaign } from './index.js';

const endpoints = process.env['ETCD_ENDPOINTS'] ?? 'http://127.0.0.1:2379';
const etcd = new Etcd3({ hosts: endpoints });
const log = createLogger('test', { level: 'silent' });
afterAll(() => etcd.close());

describe('campaign (etcd leader election with fencing tokens)', () => {
  it('one leader at a time; a standby takes over with a higher token when the leader resigns', async () => {
    const prefix = `/wallet/test-${randomBytes(4).toString('hex')}/scanners/eth/`;
    const first = await campaign({ etcd, prefix, candidate: 'a', ttlSeconds: 5, log });
    let secondElected = false;
    const second = campaign({ etcd, prefix, candidate: 'b', ttlSeconds: 5, log }).then((l) => {
      secondElected = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(secondElected).toBe(false);
    await first.resign();
    const leader = await second;
    expect(leader.token).toBeGreaterThan(first.token);
    await leader.resign();
  });

  it('a leader whose process is killed (SIGKILL) is replaced once its lease expires', async () => {
    const prefix = `/wallet/test-${randomBytes(4).toString('hex')}/scanners/eth/`;
    // The doomed leader is a real process holding the first candidate key under a 2 s lease.
    const code = `import { Etcd3 } from 'etcd3';
      const c = new Etcd3({ hosts: ${JSON.stringify(endpoints)} });
      await c.lease(2).put(${JSON.stringify(`${prefix}a`)}).value('a');
      console.log('holding');`;
    const doomed = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => doomed.stdout.once('data', resolve));
    const standby = campaign({ etcd, prefix, candidate: 'b', ttlSeconds: 2, log });
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    doomed.kill('SIGKILL');
    const leader = await standby;
    expect(Date.now() - killedAt).toBeLessThan(5000);
    const [remaining] = (await etcd.getAll().prefix(prefix).exec()).kvs.map((kv) => BigInt(kv.create_revision));
    expect(leader.token).toBe(remaining); // only b is left, and its create revision is the token
    await leader.resign();
  });

  it('an aborted campaign leaves the race', async () => {
    const prefix = `/wallet/test-${randomBytes(4).toString('hex')}/scanners/eth/`;
    const leader = await campaign({ etcd, prefix, candidate: 'a', ttlSeconds: 5, log });
    const controller = new AbortController();
    const waiting = campaign({ etcd, prefix, candidate: 'b', ttlSeconds: 5, log, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(waiting).rejects.toThrow(/aborted/);
    const left = await etcd.getAll().prefix(prefix).keys();
    expect(left).toEqual([`${prefix}a`]);
    await leader.resign();
  });
});
