import { createHash } from 'node:crypto';
import { type Db, withTransaction } from '@wallet/db';
import { LedgerKind, SystemAccount, createTransfer, creditTransfer, postEntry } from '@wallet/ledger';
import { createTestDatabase } from '@wallet/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWalletctl } from './walletctl.js';

// `walletctl ledger check --shard` on two MariaDB databases, each the shard of one transrv node, as an operator runs
// it: t1 pays t2's account across the shards; then t1's database is given a row that breaks its books.

let t1: { db: Db; url: string; drop: () => Promise<void> };
let t2: { db: Db; url: string; drop: () => Promise<void> };

beforeAll(async () => {
  t1 = await createTestDatabase();
  t2 = await createTestDatabase();
  await withTransaction(t1.db, (trx) =>
    postEntry(trx, {
      entryId: 'dep_1',
      nodeId: 't1',
      refId: 'dep_1',
      lines: [
        { accountId: SystemAccount.chainInflow('eth'), asset: 'ETH', bucket: 'available', amount: -100n, kind: LedgerKind.deposit },
        { accountId: 'a1', asset: 'ETH', bucket: 'available', amount: 100n, kind: LedgerKind.deposit },
      ],
    }),
  );
  for (const [amount, delivered] of [
    [30n, true],
    [5n, false],
  ] as const) {
    const key = `k${amount}`;
    const { transfer } = await createTransfer(t1.db, 't1', {
      clientId: 'c1',
      idempotencyKey: key,
      requestHash: createHash('sha256').update(key).digest('hex'),
      fromAccountId: 'a1',
      toAccountId: 'b1',
      toNodeId: 't2',
      asset: 'ETH',
      amount,
    });
    if (delivered)
      await creditTransfer(t2.db, 't2', { transferId: transfer.id, fromNodeId: 't1', toAccountId: 'b1', asset: 'ETH', amount });
  }
});
afterAll(async () => {
  await t1.drop();
  await t2.drop();
});

async function walletctlOn(url: string, ...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runWalletctl(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, { ...process.env, MYSQL_URL: url });
  return { code, out, err };
}
const walletctl = (...args: string[]) => walletctlOn(t1.url, ...args);

describe('walletctl ledger check --shard', () => {
  it('checks each shard and the transfers across them; a break in one shard is named with its node, exit 1', async () => {
    const shards = ['--shard', `t1=${t1.url}`, '--shard', `t2=${t2.url}`];
    const ok = await walletctl('ledger', 'check', ...shards, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out.join('\n'))).toEqual({ ok: true, problems: [], totals: { ETH: { users: '95', transit: '5' } } });
    // t2's database checked as a whole (no --shard) finds a credit with no transfer behind it: it is t1's
    const whole = await walletctlOn(t2.url, 'ledger', 'check');
    expect(whole.code).toBe(1);
    expect(whole.out).toContain('  - transit ETH holds -30 but undelivered transfers total 0');

    await t1.db.raw("UPDATE balances SET available = available - 1 WHERE account_id = 'a1'");
    const broken = await walletctl('ledger', 'check', ...shards);
    expect(broken.code).toBe(1);
    expect(broken.out).toEqual(expect.arrayContaining(['ledger invariants FAILED (1)', '  - t1: balance a1 ETH: row 64/0, journal 65/0']));
  });

  it.each([['t1'], ['t1=postgres://x'], ['T1=mysql://u@h/d'], ['=mysql://u@h/d']])('refuses --shard %s with exit 2', async (arg) => {
    const { code, err } = await walletctl('ledger', 'check', '--shard', arg);
    expect(code).toBe(2);
    expect(err.join('')).toContain('--shard takes NODE_ID=mysql://');
  });

  it('refuses a node named twice, and does not echo a password', async () => {
    const twice = await walletctl('ledger', 'check', '--shard', `t1=${t1.url}`, '--shard', `t1=${t2.url}`);
    expect(twice).toMatchObject({ code: 2, err: ['--shard names each node once\n'] });
    const bad = await walletctl('ledger', 'check', '--shard', 'X=mysql://user:secret@host/db');
    expect(bad.err.join('')).not.toContain('secret');
  });
});
