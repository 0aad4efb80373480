import { createHash } from 'node:crypto';
import { type Db, withTransaction } from '@wallet/db';
import { createTestDatabase } from '@wallet/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerKind, SystemAccount, checkInvariants, checkShards, createTransfer, creditTransfer, postEntry } from './index.js';

// Two transrv nodes, each with its money in a MariaDB database of its own (docs/sharding.md): t1's shard and t2's.
// A cross-node transfer is debited by the ledger functions on the payer's shard and credited on the receiver's, as the
// TransferRelay delivers it between two nodes.

let t1: Db;
let t2: Db;
let drops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  const a = await createTestDatabase();
  const b = await createTestDatabase();
  ({ db: t1 } = a);
  ({ db: t2 } = b);
  drops = [a.drop, b.drop];
});
afterEach(async () => {
  for (const drop of drops) await drop();
});

const shards = () => [
  { nodeId: 't1', db: t1 },
  { nodeId: 't2', db: t2 },
];

let entries = 0;
/** Credits an account from the chain inflow, as a confirmed deposit on that node would. */
async function fund(db: Db, nodeId: string, accountId: string, amount: bigint): Promise<void> {
  const id = `dep_${++entries}`;
  await withTransaction(db, (trx) =>
    postEntry(trx, {
      entryId: id,
      nodeId,
      refId: id,
      lines: [
        { accountId: SystemAccount.chainInflow('eth'), asset: 'ETH', bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
        { accountId, asset: 'ETH', bucket: 'available', amount, kind: LedgerKind.deposit },
      ],
    }),
  );
}

let keys = 0;
/** A transfer paid on `db` (node `from`) to an account of node `toNodeId`. */
async function pay(db: Db, from: string, fromAccountId: string, toAccountId: string, toNodeId: string, amount: bigint) {
  const key = `k${++keys}`;
  const { transfer } = await createTransfer(db, from, {
    clientId: 'c1',
    idempotencyKey: key,
    requestHash: createHash('sha256').update(key).digest('hex'),
    fromAccountId,
    toAccountId,
    toNodeId,
    asset: 'ETH',
    amount,
  });
  return transfer;
}

/** Delivers a transfer's credit on `db` as node `nodeId` (what the receiving node does when the relay calls it). */
async function deliver(db: Db, nodeId: string, t: { id: string; fromNodeId: string; toAccountId: string; amount: bigint }) {
  await creditTransfer(db, nodeId, {
    transferId: t.id,
    fromNodeId: t.fromNodeId,
    toAccountId: t.toAccountId,
    asset: 'ETH',
    amount: t.amount,
  });
}

/** t1's a1 and t2's b1 funded; three cross-node transfers, two delivered, one in transit; one transfer within t1. */
async function books() {
  await fund(t1, 't1', 'a1', 100n);
  await fund(t1, 't1', 'a2', 1n);
  await fund(t2, 't2', 'b1', 50n);
  const toB = await pay(t1, 't1', 'a1', 'b1', 't2', 30n);
  await deliver(t2, 't2', toB);
  const toA = await pay(t2, 't2', 'b1', 'a1', 't1', 10n);
  await deliver(t1, 't1', toA);
  const inTransit = await pay(t1, 't1', 'a1', 'b1', 't2', 5n);
  await pay(t1, 't1', 'a1', 'a2', 't1', 7n);
  return { toB, toA, inTransit };
}

describe('checkShards', () => {
  it('holds on two shards with transfers both ways, one in transit; each shard checked alone as a whole database does not', async () => {
    await books();
    for (const pageSize of [1, 2, 5000]) {
      const report = await checkShards(shards(), { pageSize });
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.totals).toEqual({ ETH: { users: 146n, transit: 5n } });
    }
    // Alone, t1's database sees its transfers to t2 without their credits: the check across shards is what can say.
    expect((await checkInvariants(t1)).problems).toEqual(['transit ETH holds 25 but undelivered transfers total 35']);
  });

  it('finds a transfer credited twice, once on a node it is not for', async () => {
    const { toB } = await books();
    await deliver(t1, 't1', toB); // t1 credits its own payment to t2's account
    const report = await checkShards(shards(), { pageSize: 2 });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      `transfer ${toB.id} is credited on t1 and t2`,
      `transfer ${toB.id} to t2 is credited on t1`,
      'transit ETH holds -25 across the shards but undelivered transfers total 5',
    ]);
  });

  it('finds a credit without its transfer, a credit that differs from its transfer, and a credit on the wrong shard', async () => {
    const { toA, inTransit } = await books();
    await deliver(t2, 't2', { id: 'tr_never_paid', fromNodeId: 't1', toAccountId: 'b1', amount: 3n });
    await deliver(t2, 't2', { ...inTransit, amount: 6n });
    const report = await checkShards(shards());
    expect(report.problems).toEqual(
      expect.arrayContaining([
        `transfer ${inTransit.id} pays 5 ETH to b1, its credit on t2 is 6 ETH to b1`,
        'credit of transfer tr_never_paid on t2 has no transfer on any shard',
        'transit ETH holds -4 across the shards but undelivered transfers total 0',
      ]),
    );
    expect(report.problems).toHaveLength(3);
    expect(toA.toNodeId).toBe('t1');
  });

  it("finds another node's rows in a shard, and names the shard of each of its own problems", async () => {
    await books();
    await fund(t2, 't1', 'a9', 4n); // t1's deposit booked in t2's shard
    await t1.raw("UPDATE balances SET available = available + 1 WHERE account_id = 'a2'");
    const report = await checkShards(shards());
    expect(report.problems).toEqual(['t1: balance a2 ETH: row 9/0, journal 8/0', 't2: journal lines of node t1']);
  });

  it('refuses two shards of one node', async () => {
    await expect(
      checkShards([
        { nodeId: 't1', db: t1 },
        { nodeId: 't1', db: t2 },
      ]),
    ).rejects.toThrow('one node per shard');
  });
});
