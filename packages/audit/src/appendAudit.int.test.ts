import { type Db, mysqlErrno } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from './appendAudit.js';
import { GENESIS_HASH, auditHash } from './auditHash.js';
import { listAudit } from './listAudit.js';
import { verifyAudit } from './verifyAudit.js';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop());

/** ER_SIGNAL_EXCEPTION: a trigger's SIGNAL. */
const SIGNALLED = 1644;
const head = async () =>
  await db('audit_head').where({ id: 1 }).first<{ seq: string; hash: string }>(db.raw('CAST(seq AS CHAR) AS seq'), 'hash');
const count = async () => Number((await db('audit_log').count({ n: '*' }))[0]!['n']);

describe('appendAudit', () => {
  it('starts from the genesis hash, stores what it hashed, and returns seq and hash', async () => {
    const at0 = Date.now();
    const first = await db.transaction((trx) =>
      appendAudit(trx, { actor: 'user:alice', action: 'login', subject: 'alice', details: { ip: '10.0.0.1', n: 10n ** 20n } }),
    );
    expect(first.seq).toBe(1n);
    const [entry] = await listAudit(db, { limit: 1 });
    expect(entry).toMatchObject({
      seq: 1n,
      actor: 'user:alice',
      action: 'login',
      subject: 'alice',
      prevHash: GENESIS_HASH,
      hash: first.hash,
    });
    expect(entry!.details).toEqual({ ip: '10.0.0.1', n: '100000000000000000000' });
    expect(entry!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The database's clock, in UTC (this machine's clock is the same one within a few seconds).
    expect(Math.abs(Date.parse(entry!.at) - at0)).toBeLessThan(5_000);
    const stored = await db('audit_log').where({ seq: 1 }).first<{ details: string }>('details');
    expect(stored.details).toBe('{"ip":"10.0.0.1","n":"100000000000000000000"}');
    expect(auditHash({ ...entry!, details: stored.details })).toBe(first.hash);
    expect(await head()).toEqual({ seq: '1', hash: first.hash });
  });

  it('50 appends in concurrent transactions get seq 2..51 with no gap and one unforked chain', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        db.transaction((trx) => appendAudit(trx, { actor: 'automation:bot', action: 'withdrawal_approved', subject: `wd_${i}` })),
      ),
    );
    expect(results.map((r) => r.seq).sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 2)));
    const rows = await db('audit_log')
      .orderBy('seq')
      .select<{ seq: string; at: Date; prev_hash: string; hash: string }[]>('seq', 'at', 'prev_hash', 'hash');
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 51 }, (_, i) => String(i + 1)));
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
      // Taken under the head lock: time never runs backwards along the chain.
      expect(rows[i]!.at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.at.getTime());
    }
    expect(await verifyAudit(db)).toEqual({ ok: true, count: 51n, head: rows[50]!.hash });
  });

  it('an append rolled back with its transaction leaves no row, no gap and the head where it was', async () => {
    const before = await head();
    const rows = await count();
    await expect(
      db.transaction(async (trx) => {
        await appendAudit(trx, { actor: 'user:bob', action: 'policy_changed', details: { threshold: '5' } });
        throw new Error('the audited change failed');
      }),
    ).rejects.toThrow('the audited change failed');
    expect(await head()).toEqual(before);
    expect(await count()).toBe(rows);
    const next = await db.transaction((trx) => appendAudit(trx, { actor: 'user:bob', action: 'policy_changed' }));
    expect(next.seq).toBe(BigInt(before.seq) + 1n);
    expect(await verifyAudit(db)).toMatchObject({ ok: true, count: next.seq, head: next.hash });
  });

  it('refuses empty, too long or malformed fields and details without a JSON form, writing nothing', async () => {
    const before = await head();
    const bad = [
      { actor: '', action: 'login' },
      { actor: 'u'.repeat(101), action: 'login' },
      { actor: 'user:x', action: 'a'.repeat(65) },
      { actor: 'user:x', action: 'login', subject: 's'.repeat(101) },
      { actor: 'user:\ud800', action: 'login' },
      { actor: 'user:x', action: 'login', details: { n: Number.NaN } },
      { actor: 'user:x', action: 'login', details: { big: 'x'.repeat(65_536) } },
    ];
    for (const entry of bad) {
      await expect(db.transaction((trx) => appendAudit(trx, entry))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await head()).toEqual(before);
    // 100 characters of 4 bytes each fit (VARCHAR counts characters).
    await db.transaction((trx) => appendAudit(trx, { actor: '😀'.repeat(100), action: 'login' }));
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('the database refuses UPDATE and DELETE of entries, and any move of the head but onto a new entry', async () => {
    const refused = async (work: Promise<unknown>) =>
      expect(
        mysqlErrno(
          await work.then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      ).toBe(SIGNALLED);
    await refused(db('audit_log').where({ seq: 2 }).update({ details: '{"forged":true}' }));
    await refused(db('audit_log').where({ seq: 2 }).delete());
    await refused(db('audit_log').delete());
    const { seq, hash } = await head();
    await refused(
      db('audit_head')
        .where({ id: 1 })
        .update({ seq: Number(seq) - 1 }),
    );
    await refused(
      db('audit_head')
        .where({ id: 1 })
        .update({ hash: '1'.repeat(64) }),
    );
    await refused(db('audit_head').where({ id: 1 }).delete());
    // A row inserted by hand at head + 1 cannot take the head unless it chains onto it.
    await db('audit_log').insert({
      seq: Number(seq) + 1,
      at: '2026-01-01 00:00:00.000',
      actor: 'x',
      action: 'x',
      details: '{}',
      prev_hash: '2'.repeat(64),
      hash: '3'.repeat(64),
    });
    await refused(
      db('audit_head')
        .where({ id: 1 })
        .update({ seq: Number(seq) + 1, hash: '3'.repeat(64) }),
    );
    expect(await head()).toEqual({ seq, hash });
    // The stray row makes the next append fail (its seq is taken: ER_DUP_ENTRY) rather than fork the chain, and
    // verify names it.
    await expect(db.transaction((trx) => appendAudit(trx, { actor: 'x', action: 'x' }))).rejects.toSatisfy((e) => mysqlErrno(e) === 1062);
    expect(await verifyAudit(db)).toMatchObject({ ok: false, problem: 'prev_hash', seq: BigInt(seq) + 1n });
  });
});
