import { randomUUID } from 'node:crypto';
import { createDb, type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { Load } from '../harness/Load.js';
import { mysqlUrl } from '../harness/stackEnv.js';

// Issue 18: ops add a transrv node while clients are working. New accounts bind to the new node at once (it has the
// fewest), and no request fails meanwhile: not the account creations, not the reads of accounts on any node.

let cluster: Cluster;
let db: Db;
let api: ApiClient;

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1', 't2'] });
  db = createDb(mysqlUrl(cluster.database), { poolMin: 0, poolMax: 2 });
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'scale-out'));
});
afterAll(async () => {
  await db?.destroy();
  await cluster?.stop();
});

describe('adding a transrv node under load', () => {
  it('new accounts land on it within a second of its start, and no request fails', async () => {
    const created: string[] = [];
    // 24 clients, each creating an account and reading its balances in turn, as fast as the cluster answers.
    const load = Load.start({ workers: 24 }, async (l) => {
      const res = await l.expect('POST /v1/accounts', 201, () =>
        api.post<{ id: string }>('/v1/accounts', { externalId: `load-${randomUUID()}` }),
      );
      if (!res) return;
      created.push(res.body.id);
      const some = created[Math.floor(Math.random() * created.length)]!;
      await l.expect(`GET balances of ${some}`, 200, () => api.get(`/v1/accounts/${some}/balances`));
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const t3 = await cluster.startTransrv('t3');
    const readyAt = Date.parse(String((await t3.ready()).time));
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const { requests, failures, seconds, perSecond } = await load.stop();

    const rows = await db('accounts').where('node_id', 't3').min('created_at as first').count('* as n').first();
    const firstOnT3 = new Date(rows!['first'] as string | Date).getTime();
    // What the run achieved, for the note (a test asserts behaviour, not speed).
    console.log(
      `scale-out: ${requests} requests in ${seconds.toFixed(1)} s (${perSecond}/s), ${String(rows!['n'])} accounts on t3, first ${firstOnT3 - readyAt} ms after t3 was ready`,
    );
    expect(failures).toEqual([]);
    expect(Number(rows!['n'])).toBeGreaterThan(0);
    expect(firstOnT3 - readyAt).toBeLessThan(1000);
    // Every account created during the run is readable through the gateway, on whichever node holds it.
    const sample = created.slice(-20);
    for (const id of sample) expect((await api.get(`/v1/accounts/${id}/balances`)).status).toBe(200);
  });
});
