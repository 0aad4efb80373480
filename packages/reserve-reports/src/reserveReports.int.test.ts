import { createHash } from 'node:crypto';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type Db, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { LedgerKind, SystemAccount, createTransfer, creditTransfer, pendingTransfers, postEntry } from '@wallet/ledger';
import { accountCommitment, verifySumProof } from '@wallet/reserves';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReserveReport, listReserveReports, reserveProof } from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// The report builder against MariaDB: many accounts on two nodes and two clients, cross-node transfers in transit,
// and transfers committing while reports are built.

let db: Db;
let drop: () => Promise<void>;
let registry: AssetRegistry;
const accounts: { id: string; node: string; client: string }[] = [];
let funded = 0n;

const options = () => ({ asset: registry.asset('ETH'), chain: registry.chain('eth') });

async function fund(accountId: string, amount: bigint, key: string): Promise<void> {
  await withTransaction(db, (trx) =>
    postEntry(trx, {
      entryId: key,
      nodeId: 't1',
      refId: key,
      lines: [
        { accountId: SystemAccount.chainInflow('eth'), asset: 'ETH', bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
        { accountId, asset: 'ETH', bucket: 'available', amount, kind: LedgerKind.deposit },
      ],
    }),
  );
  funded += amount;
}

let keys = 0;
function transfer(from: (typeof accounts)[number], to: (typeof accounts)[number], amount: bigint) {
  const key = `k${++keys}`;
  return createTransfer(db, from.node, {
    clientId: from.client,
    idempotencyKey: key,
    requestHash: createHash('sha256').update(key).digest('hex'),
    fromAccountId: from.id,
    toAccountId: to.id,
    toNodeId: to.node,
    asset: 'ETH',
    amount,
  });
}

/** Delivers every pending cross-node credit of `node` (the relay's work, by hand). */
async function deliver(node: string): Promise<void> {
  for (const t of await pendingTransfers(db, node)) {
    await creditTransfer(db, t.toNodeId, {
      transferId: t.id,
      fromNodeId: node,
      toAccountId: t.toAccountId,
      asset: t.asset,
      amount: t.amount,
    });
    await db('transfers').where({ id: t.id }).update({ status: 'completed' });
  }
}

/** Every account's proof in the latest report verifies with the client's salt, and the leaves sum to `total`. */
async function expectEveryProofVerifies(reportTotal: bigint): Promise<void> {
  let sum = 0n;
  for (const a of accounts) {
    const p = await reserveProof(db, a.id, 'ETH');
    expect(p.commitment).toBe(accountCommitment(a.id, p.salt));
    expect(verifySumProof(p.commitment, p.balance, p.path, p.root, p.total)).toBe(true);
    expect(p.total).toBe(reportTotal);
    sum += p.balance;
  }
  expect(sum).toBe(reportTotal);
}

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  registry = AssetRegistry.parse(devRegistryInput);
  await db('transrv_nodes').insert([{ node_id: 't1' }, { node_id: 't2' }]);
  for (const c of ['cl_a', 'cl_b']) await db('clients').insert({ id: c, name: c, key_id: `key_${c}`, secret: 's' });
  for (let i = 0; i < 57; i++) {
    const a = { id: `acc_${String(i).padStart(3, '0')}`, node: i % 2 ? 't2' : 't1', client: i % 3 ? 'cl_a' : 'cl_b' };
    await db('accounts').insert({ id: a.id, client_id: a.client, external_id: a.id, node_id: a.node });
    accounts.push(a);
    await fund(a.id, 10n ** 18n + BigInt(i) * 7_919n, `dep_${i}`);
  }
});
afterAll(async () => drop());

describe('buildReserveReport', () => {
  it('gives every client its own secret salt (the column default) and never the same twice', async () => {
    const salts = await db('clients').select<{ reserve_salt: string }[]>('reserve_salt');
    expect(salts).toHaveLength(2);
    for (const s of salts) expect(s.reserve_salt).toMatch(/^[0-9a-f]{64}$/);
    expect(salts[0]!.reserve_salt).not.toBe(salts[1]!.reserve_salt);
  });

  it('answers no_report before any report of the asset', async () => {
    await expect(reserveProof(db, accounts[0]!.id, 'ETH')).rejects.toMatchObject({
      code: 'RESERVES_PROOF_NOT_FOUND',
      details: { reason: 'no_report' },
    });
  });

  it('stores a tree whose every leaf verifies against the stored root, with transfers in transit owed to the receiver', async () => {
    // two cross-node transfers left in transit: debited from the sender, owed to the receiver
    await transfer(accounts[0]!, accounts[1]!, 5n);
    await transfer(accounts[2]!, accounts[3]!, 1234n);
    await db('hot_wallets').insert({ chain: 'eth', address: '0x00000000000000000000000000000000000a11ce' });
    await db('addresses').insert({
      chain: 'eth',
      address: '0x00000000000000000000000000000000000b0b00',
      derivation_index: 0,
      path: "m/44'/60'/0'/0/0",
      account_id: accounts[0]!.id,
      client_id: accounts[0]!.client,
    });
    // the fee and sweep wallets and the watched cold wallets hold the chain's coins too
    await db('operated_addresses').insert([
      { chain: 'eth', address: '0x00000000000000000000000000000000000c01d0', role: 'cold' },
      { chain: 'eth', address: '0x00000000000000000000000000000000000fee00', role: 'fee' },
    ]);
    const read = { hot: 7n, deposit: 3n, cold: 100n, fee: 2n, wallet: 0n } as const;
    const report = await buildReserveReport(db, { ...options(), balanceOf: async (h) => read[h.kind] });
    expect(report.leafCount).toBe(accounts.length);
    expect(report.total).toBe(funded);
    expect(report.holdings.map((h) => [h.kind, h.balance])).toEqual([
      ['hot', 7n],
      ['cold', 100n],
      ['fee', 2n],
      ['deposit', 3n],
    ]);
    expect(report.holdingsTotal).toBe(112n);
    expect(await db('reserve_holdings').where({ report_id: report.id }).orderBy('kind').pluck('kind')).toEqual([
      'hot',
      'deposit',
      'fee',
      'cold',
    ]);
    const stored = await db('reserve_reports').where({ id: report.id }).first();
    expect(stored).toMatchObject({ asset: 'ETH', root: report.root, total: funded.toString(), leaf_count: accounts.length });
    await expectEveryProofVerifies(report.total);
    const receiver = await reserveProof(db, accounts[3]!.id, 'ETH');
    const sender = await reserveProof(db, accounts[2]!.id, 'ETH');
    expect(receiver.balance - sender.balance).toBe(10n ** 18n + 3n * 7_919n + 1234n - (10n ** 18n + 2n * 7_919n - 1234n));
    await deliver('t1');
  });

  it('keeps the total exact while transfers commit during the build (one snapshot)', async () => {
    let stop = false;
    const moving = (async () => {
      for (let n = 0; !stop; n++) {
        const from = accounts[n % accounts.length]!;
        const to = accounts[(n * 7 + 1) % accounts.length]!;
        if (from.id !== to.id) await transfer(from, to, BigInt(1 + (n % 97)));
        if (n % 5 === 0) await deliver(n % 2 ? 't2' : 't1');
      }
    })();
    const totals: bigint[] = [];
    try {
      for (let r = 0; r < 6; r++) totals.push((await buildReserveReport(db, options())).total);
    } finally {
      stop = true;
      await moving;
    }
    expect(totals).toEqual(totals.map(() => funded));
    const listed = await listReserveReports(db, { asset: 'ETH', limit: 6 });
    expect(listed.map((r) => r.total)).toEqual(totals.map(() => funded));
    expect(listed[0]!.id > listed[5]!.id).toBe(true);
    expect(keys).toBeGreaterThan(6);
    await expectEveryProofVerifies(funded);
  });

  it('answers no_leaf for an account the latest report does not have, and refuses an asset nobody holds', async () => {
    await expect(reserveProof(db, 'acc_nobody', 'ETH')).rejects.toMatchObject({
      code: 'RESERVES_PROOF_NOT_FOUND',
      details: { reason: 'no_leaf' },
    });
    const refused = await buildReserveReport(db, { asset: registry.asset('LTC'), chain: registry.chain('ltc') }).catch((e: unknown) => e);
    expect(isWalletError(refused, 'VALIDATION_FAILED')).toBe(true);
    expect(await db('reserve_reports').where({ asset: 'LTC' })).toEqual([]);
  });
});
