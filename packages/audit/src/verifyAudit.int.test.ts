import { type Db } from '@wallet/db';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAudit } from './appendAudit.js';
import { auditHash } from './auditHash.js';
import { listAudit } from './listAudit.js';
import { type AuditProgress, verifyAudit } from './verifyAudit.js';
import { createTestDatabase } from '@wallet/testkit';

// Each case tampers with its own database: 12 entries, walked in pages of 5 so breaks fall inside and across pages.
const N = 12;
const pageSize = 5;
let opened: { db: Db; drop: () => Promise<void> } | undefined;
afterEach(async () => {
  await opened?.drop();
  opened = undefined;
});

async function chain(): Promise<Db> {
  opened = await createTestDatabase();
  const { db } = opened;
  for (let i = 1; i <= N; i++) {
    await db.transaction((trx) =>
      appendAudit(trx, { actor: `user:u${i % 3}`, action: 'withdrawal_approved', subject: `wd_${i}`, details: { amount: `${i}000`, i } }),
    );
  }
  return db;
}

/** What an attacker with MySQL root does first: the triggers are in the way. */
async function dropTriggers(db: Db): Promise<void> {
  for (const t of ['audit_log_append_only_u', 'audit_log_append_only_d', 'audit_head_advances_by_one', 'audit_head_is_kept']) {
    await db.raw(`DROP TRIGGER ${t}`);
  }
}

const stored = async (db: Db, seq: number) => {
  const [row] = await listAudit(db, { limit: 1, beforeSeq: BigInt(seq) + 1n });
  const { details } = await db('audit_log').where({ seq }).first<{ details: string }>('details');
  return { ...row!, details };
};

describe('verifyAudit', () => {
  it('an intact chain verifies, reporting progress per page', async () => {
    const db = await chain();
    const progress: AuditProgress[] = [];
    const result = await verifyAudit(db, { pageSize, onProgress: (p) => progress.push(p) });
    const [last] = await listAudit(db, { limit: 1 });
    expect(result).toEqual({ ok: true, count: BigInt(N), head: last!.hash });
    expect(progress).toEqual([5n, 10n, 12n].map((checked) => ({ checked, total: 12n })));
  });

  it('a changed details field: hash, at that row', async () => {
    const db = await chain();
    await dropTriggers(db);
    await db('audit_log').where({ seq: 7 }).update({ details: '{"amount":"7000000","i":7}' });
    expect(await verifyAudit(db, { pageSize })).toMatchObject({ ok: false, seq: 7n, problem: 'hash', checked: 6n });
  });

  it('a changed actor or time, even by a millisecond: hash', async () => {
    const db = await chain();
    await dropTriggers(db);
    await db('audit_log')
      .where({ seq: 5 })
      .update({ at: db.raw('at + INTERVAL 1000 MICROSECOND') });
    expect(await verifyAudit(db, { pageSize })).toMatchObject({ ok: false, seq: 5n, problem: 'hash' });
  });

  it('a deleted middle row: gap, naming the missing seq', async () => {
    const db = await chain();
    await dropTriggers(db);
    await db('audit_log').where({ seq: 6 }).delete();
    expect(await verifyAudit(db, { pageSize })).toMatchObject({ ok: false, seq: 6n, problem: 'gap', expected: '6', actual: '7' });
  });

  it('a deleted first row: gap at 1', async () => {
    const db = await chain();
    await dropTriggers(db);
    await db('audit_log').where({ seq: 1 }).delete();
    expect(await verifyAudit(db, { pageSize })).toMatchObject({ ok: false, seq: 1n, problem: 'gap' });
  });

  it('a changed row with its hash recomputed: prev_hash, at its successor', async () => {
    const db = await chain();
    await dropTriggers(db);
    const row = await stored(db, 5);
    const details = '{"amount":"5","i":5}';
    const hash = auditHash({ ...row, details });
    await db('audit_log').where({ seq: 5 }).update({ details, hash });
    expect(await verifyAudit(db, { pageSize })).toMatchObject({
      ok: false,
      seq: 6n,
      problem: 'prev_hash',
      expected: hash,
      actual: row.hash,
    });
  });

  it('a deleted last row: head, naming the missing seq', async () => {
    const db = await chain();
    await dropTriggers(db);
    await db('audit_log').where({ seq: N }).delete();
    expect(await verifyAudit(db, { pageSize })).toMatchObject({ ok: false, seq: BigInt(N), problem: 'head', checked: BigInt(N - 1) });
  });

  it('the last row changed and re-hashed: head, at that row', async () => {
    const db = await chain();
    await dropTriggers(db);
    const row = await stored(db, N);
    const details = '{"amount":"1","i":12}';
    await db('audit_log')
      .where({ seq: N })
      .update({ details, hash: auditHash({ ...row, details }) });
    expect(await verifyAudit(db, { pageSize })).toMatchObject({ ok: false, seq: BigInt(N), problem: 'head' });
  });

  it('a well-chained row appended past the head (not through appendAudit): head, at that row', async () => {
    const db = await chain();
    const last = await stored(db, N);
    const row = {
      seq: BigInt(N + 1),
      at: '2026-12-08T10:00:00.000Z',
      actor: 'user:mallory',
      action: 'login',
      subject: null,
      details: '{}',
      prevHash: last.hash,
    };
    await db('audit_log').insert({
      seq: N + 1,
      at: '2026-12-08 10:00:00.000',
      actor: row.actor,
      action: row.action,
      details: row.details,
      prev_hash: row.prevHash,
      hash: auditHash(row),
    });
    expect(await verifyAudit(db, { pageSize })).toMatchObject({ ok: false, seq: BigInt(N + 1), problem: 'head' });
  });
});
