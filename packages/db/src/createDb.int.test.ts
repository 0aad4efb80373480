import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './createDb.js';
import { createTestDatabase } from './testDatabase.js';

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});

afterAll(async () => {
  await drop?.();
});

describe('createDb (real MariaDB)', () => {
  it('runs every pooled session in UTC, so CURRENT_TIMESTAMP(3) defaults read back as the instant they were written', async () => {
    // Several connections at once: each one the pool opens must have been set up.
    const zones = await Promise.all(
      Array.from({ length: 8 }, () =>
        db.transaction(async (trx) => ((await trx.raw('SELECT @@session.time_zone AS tz')) as [[{ tz: string }]])[0][0].tz),
      ),
    );
    expect(new Set(zones)).toEqual(new Set(['+00:00']));
    // What the server thinks "now" is, read through the driver, against UTC_TIMESTAMP (independent of the session).
    const [[row]] = (await db.raw('SELECT CURRENT_TIMESTAMP(3) AS now, CAST(UTC_TIMESTAMP(3) AS CHAR) AS utc')) as [
      [{ now: Date; utc: string }],
    ];
    expect(row.now.toISOString().slice(0, 19)).toBe(`${row.utc.replace(' ', 'T').slice(0, 19)}`);
  });
});
