import { randomBytes } from 'node:crypto';
import { type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView, ReviewView } from '../reviewView.js';
import { userPrincipal } from './Principal.js';
import { setPolicy } from './policyStore.js';
import { RiskFlag, reviewRisks } from './reviewRisk.js';
import { createTestDatabase } from '@wallet/testkit';

// The review queue's risk view on MariaDB: the rows it reads (transrv's withdrawals and deposits, accountsrv's clients,
// signsrv's whitelist and policies) are written directly, as each owner would have.

let db: Db;
let drop: () => Promise<void>;
const admin = userPrincipal('root-admin', 'admin');
const noAudit = async () => undefined;
const ETH = 10n ** 18n;

let seq = 0;
const nextId = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex')}${String(++seq).padStart(4, '0')}`;
const address = () => `0x${randomBytes(20).toString('hex')}`;

async function client(status: 'active' | 'disabled' = 'active'): Promise<string> {
  const id = nextId('cl');
  await db('clients').insert({ id, name: `Exchange ${id}`, key_id: nextId('k'), secret: 's', status });
  return id;
}

type Row = { clientId: string; accountId?: string; asset?: string; to: string; amount?: bigint; status?: string; ageDays?: number };

/** A withdrawal row as transrv stores it. */
async function withdrawal(r: Row): Promise<string> {
  const id = nextId('wd');
  await db('withdrawals').insert({
    id,
    client_id: r.clientId,
    account_id: r.accountId ?? 'acc_1',
    node_id: 't1',
    idempotency_key: id,
    request_hash: 'r'.repeat(64),
    chain: 'eth',
    asset: r.asset ?? 'ETH',
    to_address: r.to,
    amount: (r.amount ?? ETH).toString(),
    fee: '1',
    localhash: 'a'.repeat(64),
    status: r.status ?? 'pending_review',
    created_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL ? DAY', [r.ageDays ?? 0]),
  });
  return id;
}

async function deposit(accountId: string, amount: bigint, status: string, ageDays = 0, asset = 'ETH'): Promise<void> {
  const id = nextId('dp');
  await db('deposits').insert({
    id,
    chain: 'eth',
    txid: `0x${randomBytes(32).toString('hex')}`,
    output_index: -1,
    asset,
    address: address(),
    account_id: accountId,
    // The risk view reads an account's deposits by account; whose client it is does not enter.
    client_id: 'cl_any',
    node_id: 't1',
    amount: amount.toString(),
    block_number: 1,
    block_hash: `0x${'b'.repeat(64)}`,
    status,
    created_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL ? DAY', [ageDays]),
  });
}

/** The review view of a row (what the review desk would show). */
function view(id: string, r: Row, overrides: Partial<ReviewView> = {}): ReviewView {
  return {
    withdrawalId: id,
    clientId: r.clientId,
    accountId: r.accountId ?? 'acc_1',
    nodeId: 't1',
    chain: 'eth',
    asset: r.asset ?? 'ETH',
    to: r.to,
    amount: r.amount ?? ETH,
    fee: 1n,
    localhash: 'a'.repeat(64),
    status: 'pending_review',
    decision: null,
    decidedBy: null,
    decidedAt: null,
    reason: null,
    approvals: [],
    requiredApprovals: null,
    policyId: null,
    holdUntil: null,
    requestedBy: null,
    txid: null,
    nonce: null,
    clientDisabled: false,
    signingHalted: false,
    internal: false,
    internalAccountId: null,
    destinationIsContract: false,
    receivedAt: new Date(),
    createdAt: new Date(),
    ...overrides,
  };
}

async function riskOf(r: Row, overrides: Partial<ReviewView> = {}) {
  const id = await withdrawal(r);
  const risks = await reviewRisks(db, [view(id, r, overrides)]);
  return risks.get(id)!;
}

const flagsOf = (risk: { flags: readonly { flag: string; severity: string }[] }) => risk.flags.map((f) => `${f.flag}:${f.severity}`);

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});

afterAll(async () => {
  await drop?.();
});

describe('reviewRisks', () => {
  it('a destination the client was paid at before is not new; one another client used is flagged', async () => {
    const a = await client();
    const b = await client();
    const known = address();
    const shared = address();
    await withdrawal({ clientId: a, to: known, status: 'confirmed', ageDays: 30 });
    // a broadcast (not yet confirmed) withdrawal to it does not make it "paid before"
    await withdrawal({ clientId: a, to: shared, status: 'broadcast' });
    await withdrawal({ clientId: b, to: shared, status: 'rejected' });

    const paid = await riskOf({ clientId: a, to: known });
    expect(paid.destination).toMatchObject({ paidBefore: 1, otherClients: 0 });
    expect(flagsOf(paid)).not.toContain('new_destination:warn');

    const risky = await riskOf({ clientId: a, to: shared });
    expect(risky.destination).toMatchObject({ paidBefore: 0, otherClients: 1 });
    expect(flagsOf(risky)).toEqual(expect.arrayContaining(['new_destination:warn', 'other_clients:warn', 'not_whitelisted:info']));
    expect(risky.client).toMatchObject({ id: a, name: `Exchange ${a}`, disabled: false });
  });

  it("a confirmed withdrawal's own payment does not count as paid before (history)", async () => {
    const a = await client();
    const to = address();
    const risk = await riskOf({ clientId: a, to, status: 'confirmed' }, { status: 'confirmed' });
    expect(risk.destination.paidBefore).toBe(0);
    expect(flagsOf(risk)).toContain('new_destination:warn');
  });

  it('the whitelist: absent, cooling off and usable, blocking only where the policy requires it', async () => {
    const a = await client();
    await setPolicy(db, noAudit, admin, 'WLT', { requireWhitelist: true });
    const [absent, cooling, usable] = [address(), address(), address()];
    await db('whitelist_entries').insert([
      { client_id: a, chain: 'eth', address: cooling, added_by: admin.id, usable_at: db.raw('CURRENT_TIMESTAMP(3) + INTERVAL 1 HOUR') },
      { client_id: a, chain: 'eth', address: usable, added_by: admin.id, usable_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 1 SECOND') },
    ]);
    // another client's entry for the same address does not count for this one
    const other = await client();
    await db('whitelist_entries').insert({ client_id: other, chain: 'eth', address: absent, added_by: admin.id, usable_at: new Date(0) });

    const r1 = await riskOf({ clientId: a, to: absent, asset: 'WLT' });
    expect(r1.destination).toMatchObject({ whitelist: { state: 'absent' }, whitelistRequired: true });
    expect(r1.flags[0]).toEqual({ flag: RiskFlag.notWhitelisted, severity: 'block' });

    const r2 = await riskOf({ clientId: a, to: cooling, asset: 'WLT' });
    expect(r2.destination.whitelist).toMatchObject({ state: 'cooling_off', usableAt: expect.any(Date) });
    expect(r2.flags[0]).toEqual({ flag: RiskFlag.whitelistCoolingOff, severity: 'block' });

    const r3 = await riskOf({ clientId: a, to: usable, asset: 'WLT' });
    expect(r3.destination.whitelist.state).toBe('usable');
    expect(flagsOf(r3).some((f) => f.includes('whitelist'))).toBe(false);
  });

  it("the account's recent deposits and withdrawals in the asset: credited, recent, this one aside", async () => {
    const a = await client();
    const account = nextId('acc');
    await deposit(account, 5n * ETH, 'credited');
    await deposit(account, 7n * ETH, 'credited', 3);
    await deposit(account, 100n * ETH, 'credited', 10); // too old
    await deposit(account, 100n * ETH, 'pending'); // not credited
    await deposit(account, 100n * ETH, 'credited', 0, 'USDT'); // another asset
    await withdrawal({ clientId: a, accountId: account, to: address(), amount: 2n * ETH, status: 'confirmed', ageDays: 2 });
    await withdrawal({ clientId: a, accountId: account, to: address(), amount: 3n * ETH, status: 'rejected' });
    await withdrawal({ clientId: a, accountId: account, to: address(), amount: 4n * ETH, status: 'confirmed', ageDays: 8 });

    const risk = await riskOf({ clientId: a, accountId: account, to: address(), amount: ETH });
    expect(risk.account).toEqual({
      recentDays: 7,
      deposits: { count: 2, total: 12n * ETH },
      withdrawals: { count: 1, total: 2n * ETH },
    });
    // the 24 h velocity is narrower: only this withdrawal
    expect(risk.velocity.account).toBe(ETH);
  });

  it('velocity under the limit: one approver for an amount up to singleApprovalUpTo', async () => {
    const a = await client();
    const account = nextId('acc');
    await setPolicy(db, noAudit, admin, 'VEL', { singleApprovalUpTo: '100', approvers: 3, accountDaily: '1500' });
    await withdrawal({ clientId: a, accountId: account, asset: 'VEL', to: address(), amount: 1000n, status: 'confirmed' });
    const risk = await riskOf({ clientId: a, accountId: account, asset: 'VEL', to: address(), amount: 50n });
    expect(risk.velocity).toEqual({ account: 1050n, client: 1050n });
    expect(risk.requirement).toEqual({ approvals: 1, tier: 'single', escalations: [] });
    expect(flagsOf(risk)).not.toContain('multi_approval:info');
  });

  it('velocity over the limit: account_velocity and multi_approval flags; stale approvals flagged', async () => {
    const a = await client();
    const account = nextId('acc');
    await setPolicy(db, noAudit, admin, 'VEM', { singleApprovalUpTo: '100', approvers: 3, accountDaily: '1500' });
    await withdrawal({ clientId: a, accountId: account, asset: 'VEM', to: address(), amount: 1480n, status: 'broadcast' });
    // cancelled: not counted
    await withdrawal({ clientId: a, accountId: account, asset: 'VEM', to: address(), amount: 10_000n, status: 'cancelled' });
    const approvals: ApprovalView[] = [
      { approver: 'user:ann', role: 'auditor', comment: null, at: new Date(), counts: true },
      { approver: 'user:bob', role: 'auditor', comment: null, at: new Date(), counts: false },
    ];
    const risk = await riskOf({ clientId: a, accountId: account, asset: 'VEM', to: address(), amount: 50n }, { approvals });
    expect(risk.velocity.account).toBe(1530n);
    expect(risk.requirement).toEqual({ approvals: 3, tier: 'multi', escalations: ['account_velocity'] });
    expect(risk.approvalsCounted).toBe(1);
    expect(flagsOf(risk)).toEqual(expect.arrayContaining(['account_velocity:warn', 'stale_approvals:warn', 'multi_approval:info']));
    expect(risk.policy).toMatchObject({ asset: 'VEM', createdBy: admin.id });
  });

  it('a disabled client, a contract, an unchecked destination and an internal one', async () => {
    const off = await client('disabled');
    expect(flagsOf(await riskOf({ clientId: off, to: address() }, { clientDisabled: true }))).toContain('client_disabled:warn');
    const a = await client();
    expect(flagsOf(await riskOf({ clientId: a, to: address() }, { destinationIsContract: true }))).toContain('contract:warn');
    expect(flagsOf(await riskOf({ clientId: a, to: address() }, { destinationIsContract: null }))).toContain('destination_unchecked:info');
    const internal = flagsOf(await riskOf({ clientId: a, to: address() }, { internal: true, destinationIsContract: null }));
    expect(internal).toContain('internal:info');
    expect(internal).not.toContain('new_destination:warn');
    expect(internal).not.toContain('destination_unchecked:info');
  });

  it('a page of several withdrawals is answered for each, with the default policy where none was set', async () => {
    const a = await client();
    const rows = [
      { clientId: a, to: address(), asset: 'NOPOL' },
      { clientId: a, to: address(), asset: 'NOPOL', amount: 10n ** 30n },
    ];
    const ids = [await withdrawal(rows[0]!), await withdrawal(rows[1]!)];
    const risks = await reviewRisks(db, [view(ids[0]!, rows[0]!), view(ids[1]!, rows[1]!)]);
    expect([...risks.keys()]).toEqual(ids);
    for (const risk of risks.values()) {
      expect(risk.policy.id).toBeNull();
      expect(risk.requirement).toEqual({ approvals: 1, tier: 'single', escalations: [] });
    }
    expect(await reviewRisks(db, [])).toEqual(new Map());
  });
});
