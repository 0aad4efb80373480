import { randomBytes } from 'node:crypto';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type Db, withTransaction } from '@wallet/db';
import { LedgerKind, SystemAccount, postEntry } from '@wallet/ledger';
import { createLogger } from '@wallet/logger';
import { createWithdrawal } from '@wallet/withdrawals';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueResponse } from './queueResponse.js';
import { ResponseRelay } from './ResponseRelay.js';
import { createTestDatabase } from '@wallet/testkit';

// The relay re-sends each report until MySQL shows its effect, on a fresh MariaDB database and the stack's Redis.
const registry = AssetRegistry.parse(devRegistryInput);
const log = createLogger('relay-int', { level: 'silent' });
const stream = `test:relay:${randomBytes(4).toString('hex')}:rsp`;

let db: Db;
let drop: () => Promise<void>;
let redis: Redis;
let relay: ResponseRelay;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  // Re-sent as soon as it is due (no waiting between passes here).
  relay = new ResponseRelay({ db, redis, stream, log, resendAfterMs: 0 });
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
afterAll(async () => {
  await redis?.del(stream);
  redis?.disconnect();
  await drop?.();
});

const sent = async () => (await redis.xrange(stream, '-', '+')).map(([, fields]) => JSON.parse(fields[1]!) as { type: string });
const done = async (id: string) =>
  (await db('sign_outbox').where({ withdrawal_id: id, type: 'approved' }).first<{ done_at: Date | null }>('done_at')).done_at !== null;

describe('ResponseRelay', () => {
  it("an 'approved' report is re-sent until transrv has moved the row, though the request was acknowledged long before", async () => {
    const { withdrawal: w } = await createWithdrawal(db, 't1', registry, {
      clientId: 'c1',
      idempotencyKey: 'k1',
      requestHash: 'h1',
      accountId: 'acc_a',
      asset: 'ETH',
      to: '0x2222222222222222222222222222222222222222',
      amount: 10n ** 16n,
    });
    // signsrv received it (transrv acknowledged the request), then approved it.
    await db('withdrawal_outbox')
      .where({ withdrawal_id: w.id })
      .update({ acked_at: db.raw('CURRENT_TIMESTAMP(3)') });
    await withTransaction(db, (trx) => queueResponse(trx, { type: 'approved', withdrawalId: w.id, nodeId: 't1' }));
    expect(await relay.relayOnce()).toBe(1);
    // The message is lost (a FLUSHALL) before transrv applied it: the row is still pending_review, so it is sent again.
    await redis.del(stream);
    expect(await relay.relayOnce()).toBe(1);
    expect((await sent()).map((m) => m.type)).toEqual(['approved']);
    expect(await done(w.id)).toBe(false);
    // transrv applied it: done, not sent again.
    await db('withdrawals').where({ id: w.id }).update({ status: 'approved' });
    expect(await relay.relayOnce()).toBe(0);
    expect(await done(w.id)).toBe(true);
    expect(await sent()).toHaveLength(1);
  });
});
