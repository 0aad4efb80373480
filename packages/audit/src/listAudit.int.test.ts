import { type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from './appendAudit.js';
import { listAudit } from './listAudit.js';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  const entries = [
    { actor: 'user:alice', action: 'login', subject: 'alice' },
    { actor: 'user:alice', action: 'withdrawal_approved', subject: 'wd_1' },
    { actor: 'user:bob', action: 'withdrawal_approved', subject: 'wd_1' },
    { actor: 'signsrv', action: 'signed', subject: 'wd_1', details: { txHash: '0xab' } },
    { actor: 'user:bob', action: 'login_failed', subject: 'bob' },
  ];
  for (const entry of entries) await db.transaction((trx) => appendAudit(trx, entry));
});
afterAll(async () => drop());

describe('listAudit', () => {
  it('lists newest first, pages by beforeSeq', async () => {
    expect((await listAudit(db, { limit: 10 })).map((e) => e.seq)).toEqual([5n, 4n, 3n, 2n, 1n]);
    const page1 = await listAudit(db, { limit: 2 });
    expect(page1.map((e) => e.seq)).toEqual([5n, 4n]);
    const page2 = await listAudit(db, { limit: 2, beforeSeq: page1[1]!.seq });
    expect(page2.map((e) => e.seq)).toEqual([3n, 2n]);
    expect(page1[1]!.details).toEqual({ txHash: '0xab' });
  });

  it('filters by action, actor and subject (exact match), together', async () => {
    expect((await listAudit(db, { limit: 10, action: 'withdrawal_approved' })).map((e) => e.seq)).toEqual([3n, 2n]);
    expect((await listAudit(db, { limit: 10, actor: 'user:bob' })).map((e) => e.seq)).toEqual([5n, 3n]);
    expect((await listAudit(db, { limit: 10, subject: 'wd_1', actor: 'user:alice' })).map((e) => e.seq)).toEqual([2n]);
    expect(await listAudit(db, { limit: 10, actor: 'USER:BOB' })).toEqual([]);
  });

  it('refuses a limit outside 1..1000', async () => {
    for (const limit of [0, 1001, 1.5]) await expect(listAudit(db, { limit })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
