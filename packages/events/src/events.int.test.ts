import { type Db, globalOutboxOrigin, withTransaction } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventSequencer,
  EventType,
  ResourceType,
  appendEvents,
  eventsChannel,
  lastEventSeq,
  listEvents,
  parseEventsMessage,
  sequenceEvents,
  sequenceRows,
  outboxEvents,
} from './index.js';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let drop: () => Promise<void>;
const log = createLogger('events-test', { level: 'silent' });

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop?.());

/** One change of `resource`, appended in a transaction of its own as a changing transaction would. */
function change(nodeId: string, clientId: string, resource: string, n: number): Promise<void> {
  return withTransaction(db, (trx) =>
    appendEvents(trx, [
      {
        nodeId,
        clientId,
        type: EventType.transferCompleted,
        resourceType: ResourceType.transfer,
        resourceId: resource,
        data: { id: resource, n },
      },
    ]),
  );
}

describe('the event feed', () => {
  it('two nodes append and sequence one client concurrently: gap-free sequence, each event once, each resource in order', async () => {
    const client = 'cli_both';
    // Per node, 4 resources changed 25 times each in order, while both nodes' sequencers run (twice each: a restarted
    // process overlapping the old one).
    const writers = ['n1', 'n2'].flatMap((node) =>
      Array.from({ length: 4 }, async (_, r) => {
        for (let n = 1; n <= 25; n++) await change(node, client, `tr_${node}_${r}`, n);
      }),
    );
    let writing = true;
    const sequencers = ['n1', 'n1', 'n2', 'n2'].map(async (node) => {
      while (writing) await sequenceEvents(db, node, 7);
    });
    await Promise.all(writers);
    writing = false;
    await Promise.all(sequencers);
    for (const node of ['n1', 'n2']) while ((await sequenceEvents(db, node)).moved > 0);

    const events = await listEvents(db, client, 0, 1000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await lastEventSeq(db, client)).toBe(200);
    const byResource = new Map<string, { version: number; n: number }[]>();
    for (const e of events) {
      const list = byResource.get(e.resourceId) ?? [];
      list.push({ version: e.version, n: (JSON.parse(e.data) as { n: number }).n });
      byResource.set(e.resourceId, list);
    }
    expect(byResource.size).toBe(8);
    for (const list of byResource.values()) {
      const expected = Array.from({ length: 25 }, (_, i) => ({ version: i + 1, n: i + 1 }));
      expect(list).toEqual(expected);
    }
    const [left] = await db('event_outbox').count<{ c: number | string }[]>('* as c');
    expect(Number(left?.c)).toBe(0);
  });

  it('clients have their own sequences; paging by `after` returns the rest in order', async () => {
    for (let n = 1; n <= 5; n++) await change('n1', 'cli_a', 'tr_a', n);
    for (let n = 1; n <= 3; n++) await change('n1', 'cli_b', 'tr_b', n);
    await sequenceEvents(db, 'n1', 2);
    await sequenceEvents(db, 'n1');
    expect((await listEvents(db, 'cli_a', 0, 100)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await listEvents(db, 'cli_b', 0, 100)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await listEvents(db, 'cli_a', 3, 100)).map((e) => e.seq)).toEqual([4, 5]);
    expect((await listEvents(db, 'cli_a', 1, 2)).map((e) => e.seq)).toEqual([2, 3]);
    expect(await listEvents(db, 'cli_none', 0, 100)).toEqual([]);
    expect(await lastEventSeq(db, 'cli_none')).toBe(0);
  });

  it('a sequencing transaction that fails leaves its rows in the outbox; the next pass moves them once', async () => {
    await change('n3', 'cli_c', 'tr_c', 1);
    // A crash between the feed's insert and the commit: rolled back with the whole transaction.
    await expect(
      withTransaction(db, async (trx) => {
        await trx('event_heads').insert({ client_id: 'cli_c', last_seq: 1 });
        throw new Error('crash');
      }),
    ).rejects.toThrow('crash');
    expect(await listEvents(db, 'cli_c', 0, 10)).toEqual([]);
    expect((await sequenceEvents(db, 'n3')).moved).toBe(1);
    expect((await sequenceEvents(db, 'n3')).moved).toBe(0);
    expect((await listEvents(db, 'cli_c', 0, 10)).map((e) => [e.seq, e.version])).toEqual([[1, 1]]);
  });

  it("the sequencer announces each client's new head on Redis after the commit", async () => {
    const env = `evt${process.pid}`;
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const sub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const sequencer = new EventSequencer({ db, redis, env, nodeId: 'n4', log, intervalMs: 20 });
    try {
      const heard: { clientId: string; seq: number }[] = [];
      await sub.subscribe(eventsChannel(env));
      sub.on('message', (_channel, message: string) => {
        const m = parseEventsMessage(message);
        if (m) heard.push(m);
      });
      sequencer.start();
      await change('n4', 'cli_d', 'tr_d', 1);
      await change('n4', 'cli_d', 'tr_d', 2);
      for (let i = 0; i < 100 && !heard.some((h) => h.seq === 2); i++) await new Promise((r) => setTimeout(r, 20));
      expect(heard.at(-1)).toEqual({ clientId: 'cli_d', seq: 2 });
      // What was announced is committed.
      expect((await listEvents(db, 'cli_d', 0, 10)).length).toBe(2);
    } finally {
      await sequencer.stop();
      sub.disconnect();
      redis.disconnect();
    }
  });

  it('a node whose outbox is in its own database: sequenced into the global feed in two steps, and a crash between them sequences nothing twice', async () => {
    // The node's shard: a second database; the feed stays in `db` (docs/sharding.md).
    const shard = await createTestDatabase();
    try {
      const dbs = { global: db, shard: shard.db };
      const append = (resource: string, n: number) =>
        withTransaction(shard.db, (trx) =>
          appendEvents(trx, [
            {
              nodeId: 'n5',
              clientId: 'cli_e',
              type: EventType.transferCompleted,
              resourceType: ResourceType.transfer,
              resourceId: resource,
              data: { n },
            },
          ]),
        );
      for (let n = 1; n <= 3; n++) await append('tr_e', n);
      // The feed commits, then the process dies before the outbox delete.
      const rows = await outboxEvents(shard.db, 'n5', 10);
      await expect(
        sequenceRows(dbs, 'n5', rows, () => {
          throw new Error('crash after the feed commit');
        }),
      ).rejects.toThrow('crash after the feed commit');
      expect((await listEvents(db, 'cli_e', 0, 10)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await shard.db('event_outbox').count<{ c: string }[]>('* as c')).toEqual([{ c: '3' }]);
      // Meanwhile one more change; the next pass moves it, and only deletes the three already in the feed.
      await append('tr_e', 4);
      expect((await sequenceEvents(dbs, 'n5')).moved).toBe(1);
      expect((await sequenceEvents(dbs, 'n5')).moved).toBe(0);
      const events = await listEvents(db, 'cli_e', 0, 10);
      expect(events.map((e) => [e.seq, e.version, (JSON.parse(e.data) as { n: number }).n])).toEqual([
        [1, 1, 1],
        [2, 2, 2],
        [3, 3, 3],
        [4, 4, 4],
      ]);
      expect(await lastEventSeq(db, 'cli_e')).toBe(4);
      expect(await shard.db('event_outbox').count<{ c: string }[]>('* as c')).toEqual([{ c: '0' }]);
      // The global database's own outbox was never touched.
      expect(await db('event_outbox').where('node_id', 'n5').count<{ c: string }[]>('* as c')).toEqual([{ c: '0' }]);
    } finally {
      await shard.drop();
    }
  });

  it('refuses an outbox row whose origin is in the feed as another event (an outbox id reused), and moves nothing', async () => {
    await change('n6', 'cli_f', 'tr_f', 1);
    await sequenceEvents(db, 'n6');
    const [moved] = await db('events').where('node_id', 'n6').select<{ outbox_id: string }[]>('outbox_id');
    // A new outbox row with the id of the one already sequenced, for another resource.
    await db('event_outbox').insert({
      id: moved!.outbox_id,
      node_id: 'n6',
      client_id: 'cli_f',
      type: EventType.transferCompleted,
      resource_type: ResourceType.transfer,
      resource_id: 'tr_other',
      data: '{}',
    });
    await expect(sequenceEvents(db, 'n6')).rejects.toThrow(/is in the feed as transfer\.completed tr_f/);
    expect(await db('event_outbox').where('node_id', 'n6').count<{ c: string }[]>('* as c')).toEqual([{ c: '1' }]);
    expect((await listEvents(db, 'cli_f', 0, 10)).map((e) => e.resourceId)).toEqual(['tr_f']);
  });

  it("events about global resources (the global outbox) are moved by every node's sequencer, each once", async () => {
    for (let n = 1; n <= 20; n++) await change(globalOutboxOrigin, 'cli_g', `wh_${n % 3}`, n);
    await change('n7', 'cli_g', 'tr_g', 1);
    const sequencers = ['n7', 'n8', 'n9'].map((nodeId) => new EventSequencer({ db, env: 'evt-global', nodeId, log, batch: 4 }));
    const moved = await Promise.all(sequencers.map((s) => s.pass()));
    for (const s of sequencers) while ((await s.pass()) > 0);
    expect(moved.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
    const events = await listEvents(db, 'cli_g', 0, 100);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    // Each resource's changes in their order, each once.
    for (const r of [0, 1, 2]) {
      const ns = events.filter((e) => e.resourceId === `wh_${r}`).map((e) => (JSON.parse(e.data) as { n: number }).n);
      expect(ns).toEqual(Array.from({ length: 20 }, (_, i) => i + 1).filter((n) => n % 3 === r));
    }
    expect(await db('event_outbox').whereIn('node_id', [globalOutboxOrigin, 'n7']).count<{ c: string }[]>('* as c')).toEqual([{ c: '0' }]);
  });
});
