import { type Db, withTransaction } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerKind, SystemAccount } from './accounts.js';
import { getBalances } from './balances.js';
import { checkInvariants } from './checkInvariants.js';
import { postEntry } from './postEntry.js';
import { type NewRedPacket, claimRedPacket, createRedPacket, expireRedPackets, getRedPacket } from './redPackets.js';
import { completeTransfer, creditTransfer } from './transfers.js';
import { createTestDatabase } from '@wallet/testkit';

// Red packets against a real MariaDB: the total frozen, claims posted once per account (same node and across nodes,
// through transit), concurrent claims, expiry refunds; the ledger invariants after each.

let db: Db;
let drop: () => Promise<void>;
const CLIENT = 'cli_rp';
let seq = 0;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop());

async function fund(accountId: string, amount: bigint): Promise<void> {
  const id = `dep_rp${++seq}`;
  await withTransaction(db, (trx) =>
    postEntry(trx, {
      entryId: id,
      nodeId: 't1',
      refId: id,
      lines: [
        { accountId: SystemAccount.chainInflow('eth'), asset: 'ETH', bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
        { accountId, asset: 'ETH', bucket: 'available', amount, kind: LedgerKind.deposit },
      ],
    }),
  );
}
const balance = async (accountId: string) => {
  const [b] = await getBalances(db, accountId, ['ETH']);
  return { available: b!.available, frozen: b!.frozen };
};
function packet(from: string, over: Partial<NewRedPacket> = {}): NewRedPacket {
  const n = ++seq;
  return {
    clientId: CLIENT,
    idempotencyKey: `rp-${n}`,
    requestHash: `${n}`.padStart(64, '0'),
    fromAccountId: from,
    asset: 'ETH',
    total: 1000n,
    count: 4,
    mode: 'random',
    expiresInSeconds: 3600,
    ...over,
  };
}
const claim = (redPacketId: string, accountId: string, accountNodeId = 't1', key = `c-${accountId}`) =>
  claimRedPacket(db, 't1', { clientId: CLIENT, redPacketId, accountId, accountNodeId, idempotencyKey: key });

describe('red packets', () => {
  it('freezes the total; each account claims once; the last share exhausts it; the sum is exact', async () => {
    await fund('acc_rpA', 5000n);
    const { redPacket: rp } = await createRedPacket(db, 't1', packet('acc_rpA'));
    expect(rp).toMatchObject({ status: 'open', total: 1000n, count: 4, claimedCount: 0 });
    expect(await balance('acc_rpA')).toEqual({ available: 4000n, frozen: 1000n });
    expect(await checkInvariants(db)).toMatchObject({ problems: [] });

    const first = await claim(rp.id, 'acc_rp1');
    expect(first.created).toBe(true);
    expect(first.transfer).toBeNull(); // same node: credited at once
    expect((await balance('acc_rp1')).available).toBe(first.claim.amount);
    // The same key again: the same claim; another key: refused, nothing moved.
    expect(await claim(rp.id, 'acc_rp1')).toMatchObject({ created: false, claim: first.claim });
    await expect(claim(rp.id, 'acc_rp1', 't1', 'other-key')).rejects.toMatchObject({ code: 'RED_PACKET_ALREADY_CLAIMED' });

    // A claimer on another node: into transit, credited there by the relay's creditTransfer, once.
    const far = await claim(rp.id, 'acc_rp2', 't2');
    expect(far.transfer).toMatchObject({ status: 'pending_credit', toNodeId: 't2', amount: far.claim.amount });
    expect(await checkInvariants(db)).toMatchObject({ problems: [] });
    const credit = { transferId: far.transfer!.id, fromNodeId: 't1', toAccountId: 'acc_rp2', asset: 'ETH', amount: far.claim.amount };
    expect(await creditTransfer(db, 't2', credit)).toEqual({ alreadyCredited: false });
    expect(await creditTransfer(db, 't2', credit)).toEqual({ alreadyCredited: true });
    await completeTransfer(db, far.transfer!.id);

    await claim(rp.id, 'acc_rp3');
    await claim(rp.id, 'acc_rp4');
    await expect(claim(rp.id, 'acc_rp5')).rejects.toMatchObject({ code: 'RED_PACKET_EMPTY' });
    const { redPacket: done, claims } = await getRedPacket(db, CLIENT, rp.id);
    expect(done).toMatchObject({ status: 'exhausted', claimedCount: 4, claimedAmount: 1000n });
    expect(claims.map((c) => c.accountId).sort()).toEqual(['acc_rp1', 'acc_rp2', 'acc_rp3', 'acc_rp4']);
    expect(claims.reduce((a, c) => a + c.amount, 0n)).toBe(1000n);
    expect(claims.every((c) => c.amount >= 1n)).toBe(true);
    expect(await balance('acc_rpA')).toEqual({ available: 4000n, frozen: 0n });
    expect(await checkInvariants(db)).toMatchObject({ problems: [] });
    const types = await db('event_outbox').where({ resource_id: rp.id }).orderBy('id').pluck('type');
    expect(types).toEqual(['red_packet.created', ...Array(4).fill('red_packet.claimed'), 'red_packet.exhausted']);
  });

  it('refuses what it cannot cover, a total below the count, and another body under the same key; nothing frozen', async () => {
    await fund('acc_rpB', 100n);
    await expect(createRedPacket(db, 't1', packet('acc_rpB', { total: 101n }))).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    await expect(createRedPacket(db, 't1', packet('acc_rpB', { total: 3n, count: 4 }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(createRedPacket(db, 't1', packet('acc_rpB', { count: 1001 }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const req = packet('acc_rpB', { total: 10n, count: 2, mode: 'equal' });
    const made = await createRedPacket(db, 't1', req);
    expect(await createRedPacket(db, 't1', req)).toEqual({ redPacket: made.redPacket, created: false });
    await expect(createRedPacket(db, 't1', { ...req, total: 20n, requestHash: 'f'.repeat(64) })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(await balance('acc_rpB')).toEqual({ available: 90n, frozen: 10n });
    await expect(getRedPacket(db, 'cli_other', made.redPacket.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('50 concurrent claims on 20 shares: 20 paid once each, the rest refused, the ledger exact', async () => {
    await fund('acc_rpC', 10n ** 18n);
    const { redPacket: rp } = await createRedPacket(db, 't1', packet('acc_rpC', { total: 10n ** 18n, count: 20 }));
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => claim(rp.id, `acc_rpc${i}`)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(20);
    expect(new Set(lost.map((r) => (r.reason as { code: string }).code))).toEqual(new Set(['RED_PACKET_EMPTY']));
    let sum = 0n;
    for (let i = 0; i < 50; i++) sum += (await balance(`acc_rpc${i}`).catch(() => ({ available: 0n }))).available;
    expect(sum).toBe(10n ** 18n);
    expect(await checkInvariants(db)).toMatchObject({ problems: [] });
  });

  it('expiry refunds what nobody claimed, once; a claim after the deadline is refused', async () => {
    await fund('acc_rpD', 1000n);
    const { redPacket: rp } = await createRedPacket(
      db,
      't1',
      packet('acc_rpD', { total: 900n, count: 3, mode: 'equal', expiresInSeconds: 1 }),
    );
    const got = await claim(rp.id, 'acc_rpd1');
    expect(got.claim.amount).toBe(300n);
    expect(await expireRedPackets(db, 't1')).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(claim(rp.id, 'acc_rpd2')).rejects.toMatchObject({ code: 'RED_PACKET_EXPIRED' });
    expect(await expireRedPackets(db, 't1')).toBe(1);
    expect(await expireRedPackets(db, 't1')).toBe(0);
    expect((await getRedPacket(db, CLIENT, rp.id)).redPacket).toMatchObject({ status: 'expired', refunded: 600n, claimedAmount: 300n });
    expect(await balance('acc_rpD')).toEqual({ available: 700n, frozen: 0n });
    expect(await checkInvariants(db)).toMatchObject({ problems: [] });
  });
});
