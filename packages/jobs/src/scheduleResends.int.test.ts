import { type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleResends } from './scheduleResends.js';
import { createTestDatabase } from '@wallet/testkit';

// On a fresh MariaDB database, in an outbox table of the test's own.

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db.raw(
    `CREATE TABLE test_outbox (id VARCHAR(16) PRIMARY KEY, sent_count INT NOT NULL, next_send_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))`,
  );
});
afterAll(async () => {
  await drop?.();
});

/** Each row's send count and how far its next send is from now (ms, MySQL's clock). */
async function schedule(): Promise<Record<string, [number, number]>> {
  const [rows] = (await db.raw(
    `SELECT id, sent_count, TIMESTAMPDIFF(MICROSECOND, CURRENT_TIMESTAMP(3), next_send_at) DIV 1000 AS in_ms FROM test_outbox ORDER BY id`,
  )) as [{ id: string; sent_count: number; in_ms: number | string }[]];
  return Object.fromEntries(rows.map((r) => [r.id, [r.sent_count, Number(r.in_ms)]]));
}

describe('scheduleResends', () => {
  it('counts a send and sets the next one resendDelayMs from now; a row whose count changed since it was read is left alone', async () => {
    await db('test_outbox').insert([
      { id: 'first', sent_count: 0 },
      { id: 'third', sent_count: 2 },
      { id: 'many', sent_count: 9 },
      { id: 'replaced', sent_count: 0 },
    ]);
    const read = await db('test_outbox').select<{ id: string; sent_count: number }[]>('id', 'sent_count');
    // Meanwhile its message was replaced and sent once more by someone else: the count read is stale.
    await db('test_outbox').where({ id: 'replaced' }).update({ sent_count: 1 });
    await scheduleResends(db, 'test_outbox', 'id', read, 60_000);
    const after = await schedule();
    expect(after['first']![0]).toBe(1);
    expect(after['third']![0]).toBe(3);
    expect(after['many']![0]).toBe(10);
    expect(after['replaced']![0]).toBe(1);
    const near = (ms: number, expected: number) => Math.abs(ms - expected) < 5_000;
    expect(near(after['first']![1], 60_000)).toBe(true);
    expect(near(after['third']![1], 240_000)).toBe(true);
    expect(near(after['many']![1], 960_000)).toBe(true);
    expect(after['replaced']![1]).toBeLessThanOrEqual(0);
  });
});
