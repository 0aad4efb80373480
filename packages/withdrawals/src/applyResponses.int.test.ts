import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type Db, withTransaction } from '@wallet/db';
import { LedgerKind, SystemAccount, postEntry } from '@wallet/ledger';
import type { BlockoutResponse } from '@wallet/withdrawal-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyResponses, createWithdrawal } from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// applyResponses is what transrv's blockout_rsp consumer calls with each batch read from the stream.
const registry = AssetRegistry.parse(devRegistryInput);
const TO = '0x1111111111111111111111111111111111111111';

let db: Db;
let drop: () => Promise<void>;
let seq = 0;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('clients').insert({ id: 'c1', name: 'c', key_id: 'k1', secret: 's' });
  await db('accounts').insert({ id: 'acc_a', client_id: 'c1', external_id: 'a', node_id: 't1' });
  await withTransaction(db, (trx) =>
    postEntry(trx, {
      entryId: 'fund',
      nodeId: 't1',
      refId: 'fund',
      lines: [
        { accountId: SystemAccount.chainInflow('eth'), asset: 'ETH', bucket: 'available', amount: -(10n ** 21n), kind: LedgerKind.deposit },
        { accountId: 'acc_a', asset: 'ETH', bucket: 'available', amount: 10n ** 21n, kind: LedgerKind.deposit },
      ],
    }),
  );
});
afterAll(async () => drop?.());

/** A pending withdrawal that signsrv received, with signsrv's decision (null: undecided). */
async function received(decision: 'approved' | null): Promise<string> {
  const { withdrawal } = await createWithdrawal(db, 't1', registry, {
    clientId: 'c1',
    idempotencyKey: `k${++seq}`,
    requestHash: `h${seq}`,
    accountId: 'acc_a',
    asset: 'ETH',
    to: TO,
    amount: 10n ** 16n,
  });
  await db('sign_requests').insert({
    withdrawal_id: withdrawal.id,
    node_id: 't1',
    localhash: withdrawal.localhash,
    decision,
    decided_by: decision === null ? null : 'automation:bot',
  });
  return withdrawal.id;
}

const status = async (id: string) => (await db('withdrawals').where({ id }).first<{ status: string }>('status')).status;
const msg = (type: 'received' | 'approved', withdrawalId: string): BlockoutResponse => ({ v: 1, type, withdrawalId, nodeId: 't1' });

describe('applyResponses (a batch of the consumer)', () => {
  it("an 'approved' report in a batch moves the withdrawal to approved, once, with the approver in its trail", async () => {
    const id = await received('approved');
    // with its 'received' in the same batch, as a fast approval makes it
    const outcomes = await applyResponses(db, 't1', [msg('received', id), msg('approved', id)]);
    expect(outcomes.map((o) => [o.message.type, o.outcome])).toEqual([['approved', 'applied']]);
    expect(await status(id)).toBe('approved');
    const trail = await db('withdrawal_events').where({ withdrawal_id: id, to_status: 'approved' });
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ from_status: 'pending_review', actor: 'automation:bot' });
    expect(await db('withdrawal_outbox').where({ withdrawal_id: id }).whereNull('acked_at')).toEqual([]);
    // again (a redelivery): nothing more
    expect((await applyResponses(db, 't1', [msg('approved', id)]))[0]!.outcome).toBe('unchanged');
    expect(await db('withdrawal_events').where({ withdrawal_id: id, to_status: 'approved' })).toHaveLength(1);
  });

  it("an 'approved' report signsrv's records do not back moves nothing", async () => {
    const id = await received(null);
    const outcomes = await applyResponses(db, 't1', [msg('approved', id)]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['unverified']);
    expect(await status(id)).toBe('pending_review');
  });
});
