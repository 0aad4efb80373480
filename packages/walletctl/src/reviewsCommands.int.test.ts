import { appendAudit } from '@wallet/audit';
import { type Db } from '@wallet/db';
import { setPaused, setPolicy, userPrincipal } from '@wallet/payout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWalletctl } from './walletctl.js';
import { createTestDatabase } from '@wallet/testkit';

// `walletctl reviews` on a MariaDB database of its own: a withdrawal received by signsrv, one approval of two.
let db: Db;
let url: string;
let drop: () => Promise<void>;
const admin = userPrincipal('root', 'admin');

beforeAll(async () => {
  ({ db, url, drop } = await createTestDatabase());
  await db('clients').insert({ id: 'c1', name: 'one', key_id: 'k1', secret: 's', status: 'disabled' });
  await db('withdrawals').insert({
    id: 'wd_1',
    client_id: 'c1',
    account_id: 'acc_1',
    node_id: 't1',
    idempotency_key: 'k',
    request_hash: 'h'.repeat(64),
    chain: 'eth',
    asset: 'ETH',
    to_address: '0x4242424242424242424242424242424242424242',
    amount: '5000000000000000000',
    fee: '1',
    localhash: 'ab'.repeat(32),
    status: 'pending_review',
  });
  await db('sign_requests').insert({ withdrawal_id: 'wd_1', node_id: 't1', localhash: 'ab'.repeat(32), requested_by: 'client:c1' });
  await db('withdrawal_approvals').insert({ withdrawal_id: 'wd_1', approver: 'user:alice', role: 'auditor', localhash: 'ab'.repeat(32) });
  await setPolicy(db, appendAudit, admin, 'ETH', { singleApprovalUpTo: '1000', approvers: 2 });
  await setPaused(db, appendAudit, admin, true, 'incident 7');
});
afterAll(async () => drop());

async function walletctl(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runWalletctl(args, { out: (l) => out.push(l), err: (l) => out.push(l) }, { ...process.env, MYSQL_URL: url });
  return { code, out: out.join('\n') };
}

describe('walletctl reviews', () => {
  it('shows the kill switch, the policies and the queue with the approvals so far', async () => {
    const { code, out } = await walletctl('reviews');
    expect(code).toBe(0);
    expect(out).toContain('SIGNING PAUSED by user:root');
    expect(out).toContain('incident 7');
    expect(out).toMatch(/policy ETH \(#\d+\): .*"approvers":2/);
    expect(out).toContain('1 awaiting review');
    expect(out).toMatch(/wd_1 .* ETH 5000000000000000000 .* client c1 \(disabled\)\s+approvals: user:alice/);
  });

  it('--json for scripts', async () => {
    const json = JSON.parse((await walletctl('reviews', '--json')).out) as {
      signing: { paused: boolean };
      pending: { withdrawalId: string; amount: string; approvals: { approver: string }[] }[];
    };
    expect(json.signing.paused).toBe(true);
    expect(json.pending).toMatchObject([{ withdrawalId: 'wd_1', amount: '5000000000000000000', approvals: [{ approver: 'user:alice' }] }]);
  });
});
