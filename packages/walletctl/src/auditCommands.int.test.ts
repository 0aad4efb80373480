import { appendAudit } from '@wallet/audit';
import { type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWalletctl } from './walletctl.js';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let url: string;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, url, drop } = await createTestDatabase());
  for (let i = 1; i <= 5; i++) {
    await db.transaction((trx) =>
      appendAudit(trx, { actor: 'user:alice', action: 'withdrawal_approved', subject: `wd_${i}`, details: { i } }),
    );
  }
});
afterAll(async () => drop());

async function walletctl(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runWalletctl(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { ...process.env, MYSQL_URL: url });
  return { code, out: lines.join('\n') };
}

describe('walletctl audit', () => {
  it('tail: the last N entries, oldest of them first; --limit is checked', async () => {
    const { code, out } = await walletctl('audit', 'tail', '--limit', '2', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject([
      { seq: '4', actor: 'user:alice', subject: 'wd_4', details: { i: 4 } },
      { seq: '5', subject: 'wd_5' },
    ]);
    expect((await walletctl('audit', 'tail')).out.split('\n')).toHaveLength(5);
    await expect(walletctl('audit', 'tail', '--limit', '0')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('verify: exit 0 on an intact chain, exit 1 naming the first broken entry once a row is changed', async () => {
    expect(await walletctl('audit', 'verify')).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^audit chain ok: 5 entries, head [0-9a-f]{64}$/),
    });
    // An attacker with MySQL root: the trigger first, then the row.
    await db.raw('DROP TRIGGER audit_log_append_only_u');
    await db('audit_log').where({ seq: 3 }).update({ subject: 'wd_33' });
    const human = await walletctl('audit', 'verify');
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/^audit chain BROKEN at entry 3 \(hash\)/);
    const json = await walletctl('audit', 'verify', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, seq: '3', problem: 'hash', checked: '2' });
  });
});
