import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockoutKeys } from '@wallet/withdrawal-protocol';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import type { LogLine, ServiceProcess } from '@wallet/launcher';
import { stackEnv } from '../harness/stackEnv.js';
import { waitFor } from '../harness/waitFor.js';

// Combined faults on one real cluster (issue 11): concurrent writes that meet in MySQL, a Redis that loses its
// streams, and a transrv paused past its discovery lease. Each answer is what a client can act on (no 500), each
// process stays up, and the log says error only for what needs an operator.

const TTL = 2;
let cluster: Cluster;
let api: ApiClient;

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1'], ttlSeconds: TTL });
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Faulty Exchange'));
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

const errorsOf = (p: ServiceProcess): LogLine[] => p.lines.filter((l) => l.level >= 50);

describe('faults', () => {
  it('20 concurrent address requests on one account: all 201, 20 distinct indexes (deadlocks are retried inside)', async () => {
    const account = await api.post<{ id: string }>('/v1/accounts', { externalId: 'busy' });
    expect(account.status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.post<{ index: number; error?: { code: string } }>(`/v1/accounts/${account.body.id}/addresses`, { chain: 'eth' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 201));
    expect(new Set(answers.map((a) => a.body.index)).size).toBe(20);
  });

  it('the withdrawal streams vanish under blocked readers: warn once, info on recovery, no error', async () => {
    const transrv = cluster.process('transrv-t1');
    const signsrv = cluster.process('signsrv');
    const before = { transrv: errorsOf(transrv).length, signsrv: errorsOf(signsrv).length };
    // Only what the deletion causes counts: lines logged before it (start-up included) are not this test's.
    const mark = new Map([transrv, signsrv].map((p) => [p, p.lines.length]));
    const redis = new Redis(stackEnv.REDIS_URL);
    try {
      // What FLUSHALL does to this cluster, without emptying the Redis the other tests share.
      const keys = blockoutKeys(cluster.env);
      await redis.del(keys.req, keys.rsp);
    } finally {
      redis.disconnect();
    }
    for (const p of [transrv, signsrv]) {
      const since = mark.get(p)!;
      await p.waitForLog((l) => l.msg === 'stream consumer recovered' && p.lines.indexOf(l) >= since);
      const warned = p.lines.slice(since).filter((l) => l.msg === 'stream or consumer group vanished; re-creating it');
      expect(warned.map((l) => l.level)).toEqual([40]);
    }
    expect(errorsOf(transrv).slice(before.transrv)).toEqual([]);
    expect(errorsOf(signsrv).slice(before.signsrv)).toEqual([]);
  });

  it('a transrv paused past its lease, three times: it registers again, stays up, and its accounts are served', async () => {
    const transrv = cluster.process('transrv-t1');
    const account = await api.post<{ id: string }>('/v1/accounts', { externalId: 'paused' });
    expect(account.status).toBe(201);
    for (let pause = 1; pause <= 3; pause++) {
      transrv.child.kill('SIGSTOP');
      // Past the lease (TTL) and past etcd3's own "lease lost" horizon (2 TTLs): etcd expires the registration.
      await new Promise((r) => setTimeout(r, (3 * TTL + 1) * 1000));
      transrv.child.kill('SIGCONT');
      await waitFor(`registration ${pause} renewed`, async () =>
        transrv.lines.filter((l) => l.msg === 'registered again').length >= pause ? true : undefined,
      );
      expect(transrv.running).toBe(true);
      const served = await waitFor(`account served after pause ${pause}`, async () => {
        const res = await api.get(`/v1/accounts/${account.body.id}/balances`);
        return res.status === 200 ? res : undefined;
      });
      expect(served.status).toBe(200);
    }
    expect(transrv.lines.some((l) => /taken by another/.test(l.msg))).toBe(false);
    expect(transrv.running).toBe(true);
  }, 120_000);
});
