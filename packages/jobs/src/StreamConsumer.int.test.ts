import { randomBytes } from 'node:crypto';
import { createLogger } from '@wallet/logger';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StreamConsumer, type StreamConsumerOptions, type StreamEntry } from './StreamConsumer.js';

// Against the stack's Redis: a stream key of its own per test, deleted afterwards.

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
type Line = { level: number; msg: string };

let redis: Redis;
const keys: string[] = [];
const consumers: StreamConsumer[] = [];

beforeAll(() => {
  redis = new Redis(url);
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
  if (keys.length > 0) await redis.del(...keys.splice(0));
});
afterAll(() => {
  redis?.disconnect();
});

/** A consumer on a fresh stream key, its log lines captured. */
function consumer(handle: StreamConsumerOptions['handle'], options: Partial<StreamConsumerOptions> = {}) {
  const stream = `test:jobs:${randomBytes(4).toString('hex')}`;
  keys.push(stream);
  const lines: Line[] = [];
  const log = createLogger('jobs-int', { level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const name = `jobs-int-${randomBytes(4).toString('hex')}`;
  const c = new StreamConsumer({
    redis: new Redis(url, { connectionName: name }),
    stream,
    group: 'g',
    consumer: 'c1',
    log,
    handle,
    blockMs: 200,
    ...options,
  });
  consumers.push(c);
  return { c, stream, lines, name };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pendingCount = async (stream: string): Promise<number> => ((await redis.xpending(stream, 'g')) as [number])[0];
const warnings = (lines: Line[]) => lines.filter((l) => l.level >= 40).map((l) => l.msg);

describe('StreamConsumer', () => {
  it('creates its group on start, without a warning, and reads what was added before it started', async () => {
    const handled: string[] = [];
    const { c, stream, lines } = consumer(async (entries) => void handled.push(...entries.map((e) => e.message)));
    c.start();
    await until('group created', () => lines.find((l) => l.msg === 'consumer group created'));
    expect((await redis.xinfo('GROUPS', stream)) as unknown[]).toHaveLength(1);
    await redis.xadd(stream, '*', 'm', 'one');
    await until('entry handled', () => (handled.length === 1 ? true : undefined));
    expect(handled).toEqual(['one']);
    expect(warnings(lines)).toEqual([]);
    expect(lines.some((l) => l.msg === 'stream consumer recovered')).toBe(false);
  });

  it('a group that exists already is joined silently (BUSYGROUP)', async () => {
    const handled: string[] = [];
    const { c, stream, lines } = consumer(async (entries) => void handled.push(...entries.map((e) => e.message)));
    await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    await redis.xadd(stream, '*', 'm', 'x');
    c.start();
    await until('entry handled', () => (handled.length > 0 ? true : undefined));
    expect(handled).toEqual(['x']);
    await until('entry acknowledged', async () => ((await pendingCount(stream)) === 0 ? true : undefined));
    expect(lines).toEqual([]);
  });

  it('acknowledges entries only after handle resolved', async () => {
    let release = (): void => {};
    const released = new Promise<void>((r) => (release = r));
    const seen: StreamEntry[][] = [];
    const { c, stream } = consumer(async (entries) => {
      seen.push([...entries]);
      await released;
    });
    c.start();
    await redis.xadd(stream, '*', 'm', 'a');
    await redis.xadd(stream, '*', 'm', 'b');
    try {
      await until('batch handed over', () => (seen.length > 0 ? true : undefined));
      const handedOver = seen.flat().length;
      expect(await pendingCount(stream)).toBe(handedOver);
    } finally {
      release();
    }
    await until('all acknowledged', async () => (seen.flat().length === 2 && (await pendingCount(stream)) === 0 ? true : undefined));
  });

  it('a throwing handler leaves its batch pending, and the same entries come again', async () => {
    const attempts: string[][] = [];
    const { c, stream, lines } = consumer(async (entries) => {
      attempts.push(entries.map((e) => e.id));
      if (attempts.length === 1) throw new Error('MySQL is away');
    });
    c.start();
    await until('group created', () => lines.find((l) => l.msg === 'consumer group created'));
    const id = await redis.xadd(stream, '*', 'm', 'once');
    await until('handled after the failure', () => (attempts.length >= 2 ? true : undefined));
    expect(attempts[0]).toEqual([id]);
    expect(attempts[1]).toEqual([id]);
    await until('acknowledged', async () => ((await pendingCount(stream)) === 0 ? true : undefined));
    expect(lines.filter((l) => l.msg === 'message handling failed; left pending for a retry')).toHaveLength(1);
  });

  it('the stream deleted under a blocked read: one warning, the group re-created, recovered, later entries handled', async () => {
    const handled: string[] = [];
    const { c, stream, lines, name } = consumer(async (entries) => void handled.push(...entries.map((e) => e.message)), {
      blockMs: 30_000,
    });
    c.start();
    await until('the read blocked', async () => {
      const clients = String(await redis.client('LIST')).split('\n');
      return clients.some((l) => l.includes(`name=${name} `) && / flags=b /.test(l) && /cmd=xreadgroup/.test(l)) ? true : undefined;
    });
    await redis.del(stream);
    await until('recovered', () => lines.find((l) => l.msg === 'stream consumer recovered'));
    expect(lines.filter((l) => l.level >= 40).map((l) => [l.level, l.msg])).toEqual([
      [40, 'stream or consumer group vanished; re-creating it'],
    ]);
    expect(lines.filter((l) => l.msg === 'consumer group created')).toHaveLength(2);
    await redis.xadd(stream, '*', 'm', 'after');
    await until('later entry handled', () => (handled.includes('after') ? true : undefined));
  });
});
