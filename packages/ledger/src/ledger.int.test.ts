import { createHash } from 'node:crypto';
import { type Db, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  LedgerKind,
  SystemAccount,
  TransferRelay,
  checkInvariants,
  createTransfer,
  creditTransfer,
  getBalances,
  listLedger,
  pendingTransfers,
  postEntry,
} from './index.js';
import { createLogger } from '@wallet/logger';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let drop: () => Promise<void>;
const log = createLogger('test', { level: 'silent' });

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop());
beforeEach(async () => {
  // The journal refuses DELETE (append-only trigger), so each test starts from a clean copy of the schema.
  await db.raw('SET FOREIGN_KEY_CHECKS = 0');
  for (const table of ['journal', 'balances', 'transfers', 'transfer_credits']) {
    await db.raw(`CREATE TABLE ${table}_new LIKE ${table}`);
    await db.raw(`DROP TABLE ${table}`);
    await db.raw(`RENAME TABLE ${table}_new TO ${table}`);
  }
  await db.raw(`CREATE TRIGGER journal_is_append_only_u BEFORE UPDATE ON journal FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal is append-only: post a reversing entry'`);
  await db.raw('SET FOREIGN_KEY_CHECKS = 1');
});

let deposits = 0;
/** Credits an account from the chain inflow system account, as a confirmed deposit would. */
async function fund(accountId: string, asset: string, amount: bigint): Promise<void> {
  const id = `dep_${++deposits}`;
  await withTransaction(db, (trx) =>
    postEntry(trx, {
      entryId: id,
      nodeId: 't1',
      refId: id,
      lines: [
        { accountId: SystemAccount.chainInflow('eth'), asset, bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
        { accountId, asset, bucket: 'available', amount, kind: LedgerKind.deposit },
      ],
    }),
  );
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');
let keys = 0;
function request(from: string, to: string, amount: bigint, toNodeId = 't1', key = `k${++keys}`) {
  return {
    clientId: 'c1',
    idempotencyKey: key,
    requestHash: hash(`${from}|${to}|${amount}|${key}`),
    fromAccountId: from,
    toAccountId: to,
    toNodeId,
    asset: 'ETH',
    amount,
  };
}

async function available(accountId: string): Promise<bigint> {
  const [b] = await getBalances(db, accountId, ['ETH']);
  return b!.available;
}

async function expectInvariants(): Promise<void> {
  const report = await checkInvariants(db);
  expect(report.problems).toEqual([]);
}

describe('same-node transfers', () => {
  it('debits and credits in one transaction with balanceAfter on each line', async () => {
    await fund('a', 'ETH', 100n);
    const { transfer, created } = await createTransfer(db, 't1', request('a', 'b', 30n));
    expect(created).toBe(true);
    expect(transfer.status).toBe('completed');
    expect(await available('a')).toBe(70n);
    expect(await available('b')).toBe(30n);
    const page = await listLedger(db, 'a', { limit: 10 });
    expect(page.lines.map((l) => [l.kind, l.amount, l.balanceAfter])).toEqual([
      ['transfer_out', -30n, 70n],
      ['deposit', 100n, 100n],
    ]);
    await expectInvariants();
  });

  it('refuses an overdraft and changes nothing', async () => {
    await fund('a', 'ETH', 10n);
    await expect(createTransfer(db, 't1', request('a', 'b', 11n))).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(await available('a')).toBe(10n);
    expect(await available('b')).toBe(0n);
    expect(await db('transfers').count({ n: '*' })).toEqual([{ n: '0' }]);
    await expectInvariants();
  });

  it('handles amounts beyond 2^64 exactly (no double rounding in SQL)', async () => {
    const big = 10n ** 40n + 1n;
    await fund('a', 'ETH', big);
    await createTransfer(db, 't1', request('a', 'b', 1n));
    expect(await available('a')).toBe(10n ** 40n);
    await expect(createTransfer(db, 't1', request('a', 'b', 10n ** 40n + 1n))).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    await expect(createTransfer(db, 't1', request('a', 'b', 10n ** 70n))).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    await expectInvariants();
  });

  it('is idempotent on the key; the same key with another request is refused', async () => {
    await fund('a', 'ETH', 100n);
    const first = await createTransfer(db, 't1', request('a', 'b', 5n, 't1', 'same'));
    const again = await createTransfer(db, 't1', request('a', 'b', 5n, 't1', 'same'));
    expect(again.created).toBe(false);
    expect(again.transfer.id).toBe(first.transfer.id);
    await expect(createTransfer(db, 't1', request('a', 'b', 6n, 't1', 'same'))).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await available('a')).toBe(95n);
  });

  it('50 parallel copies of one request create one transfer', async () => {
    await fund('a', 'ETH', 1000n);
    const results = await Promise.all(Array.from({ length: 50 }, () => createTransfer(db, 't1', request('a', 'b', 7n, 't1', 'storm'))));
    expect(new Set(results.map((r) => r.transfer.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await available('a')).toBe(993n);
    await expectInvariants();
  });
});

describe('cross-node transfers', () => {
  it('moves value through transit and credits exactly once however often it is delivered', async () => {
    await fund('a', 'ETH', 100n);
    const { transfer } = await createTransfer(db, 't1', request('a', 'x', 40n, 't2'));
    expect(transfer.status).toBe('pending_credit');
    expect(await available('a')).toBe(60n);
    expect(await available('x')).toBe(0n);
    await expectInvariants(); // transit holds exactly the undelivered 40

    const credit = { transferId: transfer.id, fromNodeId: 't1', toAccountId: 'x', asset: 'ETH', amount: 40n };
    const deliveries = await Promise.all(Array.from({ length: 10 }, () => creditTransfer(db, 't2', credit)));
    expect(deliveries.filter((d) => !d.alreadyCredited)).toHaveLength(1);
    expect(await available('x')).toBe(40n);
    await expect(creditTransfer(db, 't2', { ...credit, amount: 41n })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expectInvariants();
  });

  it('the relay delivers pending transfers, retries failures, and survives a restart', async () => {
    await fund('a', 'ETH', 100n);
    let down = true;
    const deliver = async (t: { id: string; toAccountId: string; asset: string; amount: bigint }) => {
      if (down) throw new Error('node t2 unreachable');
      await creditTransfer(db, 't2', { transferId: t.id, fromNodeId: 't1', toAccountId: t.toAccountId, asset: t.asset, amount: t.amount });
    };
    const relay = new TransferRelay({ db, nodeId: 't1', deliver, log, intervalMs: 50 });
    relay.start();
    const { transfer } = await createTransfer(db, 't1', request('a', 'x', 25n, 't2'));
    await new Promise((r) => setTimeout(r, 200));
    expect(await pendingTransfers(db, 't1')).toHaveLength(1);
    await relay.stop();

    // A new relay (as after a restart) picks it up from MySQL once the other node is back.
    down = false;
    const restarted = new TransferRelay({ db, nodeId: 't1', deliver, log, intervalMs: 50 });
    restarted.start();
    for (let i = 0; i < 100 && (await pendingTransfers(db, 't1')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await restarted.stop();
    expect(await pendingTransfers(db, 't1')).toHaveLength(0);
    expect(await available('x')).toBe(25n);
    const row = await db('transfers').where({ id: transfer.id }).first();
    expect(row.status).toBe('completed');
    expect(row.delivery_attempts).toBeGreaterThan(0);
    await expectInvariants();
  });
});

describe('concurrency', () => {
  it('1,000 concurrent transfers among 20 accounts: no negative balance, totals conserved', async () => {
    const accounts = Array.from({ length: 20 }, (_, i) => `acc${i}`);
    for (const a of accounts) await fund(a, 'ETH', 1000n);
    const rng = fc.sample(fc.tuple(fc.nat(19), fc.nat(19), fc.integer({ min: 1, max: 400 })), { numRuns: 1000, seed: 42 });
    const results = await Promise.allSettled(
      rng.map(([f, t, amount]) => createTransfer(db, 't1', request(accounts[f]!, accounts[f === t ? (t + 1) % 20 : t]!, BigInt(amount)))),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    for (const f of failures) expect(isWalletError(f.reason, 'INSUFFICIENT_FUNDS')).toBe(true);
    const balances = await Promise.all(accounts.map(available));
    expect(balances.every((b) => b >= 0n)).toBe(true);
    expect(balances.reduce((s, b) => s + b, 0n)).toBe(20_000n);
    await expectInvariants();
  });
});

describe('property: random transfer sequences match a model of balances', () => {
  it('agrees with the model after every sequence', async () => {
    const accounts = ['p0', 'p1', 'p2', 'p3'];
    const nodeOf = (a: string) => (a === 'p0' || a === 'p1' ? 't1' : 't2');
    const op = fc.record({ from: fc.nat(3), to: fc.nat(3), amount: fc.bigInt({ min: 1n, max: 150n }), retry: fc.boolean() });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run++;
        const ids = accounts.map((a) => `${a}_${run}`);
        const model = new Map(ids.map((a) => [a, 100n]));
        for (const a of ids) await fund(a, 'ETH', 100n);
        for (const [i, o] of ops.entries()) {
          const from = ids[o.from]!;
          const to = ids[o.to === o.from ? (o.to + 1) % 4 : o.to]!;
          const fromNode = nodeOf(accounts[ids.indexOf(from)]!);
          const toNode = nodeOf(accounts[ids.indexOf(to)]!);
          const req = { ...request(from, to, o.amount, toNode, `r${run}-${i}`) };
          const attempt = async () => {
            try {
              const { transfer } = await createTransfer(db, fromNode, req);
              if (transfer.status === 'pending_credit') {
                await creditTransfer(db, toNode, {
                  transferId: transfer.id,
                  fromNodeId: fromNode,
                  toAccountId: to,
                  asset: 'ETH',
                  amount: o.amount,
                });
              }
              return true;
            } catch (error) {
              if (isWalletError(error, 'INSUFFICIENT_FUNDS')) return false;
              throw error;
            }
          };
          const ok = await attempt();
          if (o.retry) expect(await attempt()).toBe(ok); // a retry with the same key changes nothing
          if (ok) {
            model.set(from, model.get(from)! - o.amount);
            model.set(to, model.get(to)! + o.amount);
          } else {
            expect(model.get(from)! < o.amount).toBe(true);
          }
        }
        for (const a of ids) expect(await available(a)).toBe(model.get(a));
      }),
      { numRuns: 40, seed: 7 },
    );
    await expectInvariants();
  });
});
