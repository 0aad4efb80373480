import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Issue 11 item 3: an auditor's reject (signsrv) racing the client's cancel (gatesrv -> transrv) for the same
// withdrawal. Both used to answer 200 (the withdrawal ended cancelled while signsrv recorded `rejected`); exactly one
// may win, as with approve vs cancel, and the audit trail, signsrv's decision and the ledger must agree with it.
// Since signsrv only decides (under the withdrawal's lock, which the cancel takes too, reading the decision) and
// transrv moves the row on signsrv's report, approve vs cancel is raced the same way.

let world: WithdrawalWorld;
const AMOUNT = 10n ** 15n; // the dev registry's ETH minimum
const ETH_FEE = 100000000000000n;
const RACES = 50;

beforeAll(async () => {
  world = await WithdrawalWorld.start();
});

afterAll(async () => {
  if (world) expect(await world.fixtures.invariants()).toEqual([]);
  await world?.stop();
});

type Answer = { status: number; body: { status?: string; decision?: string | null; error?: { code: string } } };

describe('reject vs cancel', () => {
  it(`${RACES} concurrent races: never both 200; the status, signsrv's decision and the ledger follow the one winner`, async () => {
    const funded = (AMOUNT + ETH_FEE) * BigInt(RACES);
    const account = await world.fundedAccount({ ETH: funded });
    const ids: string[] = [];
    for (let i = 0; i < RACES; i++) {
      const res = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: AMOUNT.toString() });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    for (const id of ids) await world.signsrv.received(id);
    expect(await world.balances(account, 'ETH')).toEqual({ available: 0n, frozen: funded });

    // Every race at once: the reviewer's reject and the client's cancel of each withdrawal sent together.
    const answers = await Promise.all(
      ids.map(async (id) => {
        const [reject, cancel] = (await Promise.all([
          world.signsrv.reject(id, 'race'),
          world.api.post(`/v1/withdrawals/${id}/cancel`, {}),
        ])) as [Answer, Answer];
        return { id, reject, cancel };
      }),
    );

    const won = { rejected: 0, cancelled: 0 };
    for (const { id, reject, cancel } of answers) {
      const ctx = `${id}: reject ${reject.status} ${JSON.stringify(reject.body.error ?? null)}, cancel ${cancel.status} ${JSON.stringify(cancel.body.error ?? null)}`;
      // Exactly one winner; the loser is told why, with its own code.
      expect(
        [reject.status, cancel.status].filter((s) => s === 200),
        ctx,
      ).toHaveLength(1);
      const winner = reject.status === 200 ? 'rejected' : 'cancelled';
      won[winner]++;
      if (winner === 'rejected') {
        expect(reject.body.decision, ctx).toBe('rejected');
        expect(cancel.status, ctx).toBe(409);
        expect(cancel.body.error?.code, ctx).toBe('WITHDRAWAL_NOT_CANCELLABLE');
      } else {
        expect(cancel.body.status, ctx).toBe('cancelled');
        expect(reject.status, ctx).toBe(409);
        expect(reject.body.error?.code, ctx).toBe('WITHDRAWAL_NOT_REVIEWABLE');
      }

      // The final status is the winner's: a cancel's at once; a rejection's once transrv has applied signsrv's report
      // (waitStatus fails at once should the withdrawal end otherwise).
      if (winner === 'rejected') await world.waitStatus(id, 'rejected');
      expect((await world.get(id)).status, ctx).toBe(winner);
      // signsrv's decision record agrees: `rejected` only when the reject won, no decision when the cancel did.
      const review = await world.fixtures.db('sign_requests').where({ withdrawal_id: id }).first<{ decision: string | null }>('decision');
      expect(review?.decision ?? null, ctx).toBe(winner === 'rejected' ? 'rejected' : null);
      // The audit trail has exactly one ending, by the winner.
      const endings = await world.fixtures
        .db('withdrawal_events')
        .where({ withdrawal_id: id })
        .whereIn('to_status', ['rejected', 'cancelled'])
        .select<{ to_status: string; actor: string }[]>('to_status', 'actor');
      expect(endings, ctx).toHaveLength(1);
      expect(endings[0]!.to_status, ctx).toBe(winner);
      // a rejection by the bearer token (the automation role), a cancel by the client
      expect(endings[0]!.actor, ctx).toMatch(winner === 'rejected' ? /^automation:/ : /^client:/);
      // Released exactly once: one release entry of amount + fee.
      const release = await world.fixtures
        .db('journal')
        .where({ ref_id: id, kind: 'withdrawal_release', bucket: 'available' })
        .select<{ amount: string }[]>('amount');
      expect(
        release.map((r) => BigInt(r.amount)),
        ctx,
      ).toEqual([AMOUNT + ETH_FEE]);
    }
    console.log(`reject vs cancel: ${won.rejected} rejected, ${won.cancelled} cancelled of ${RACES} races`);

    // Every report of signsrv applied by transrv (nothing left to release twice), and all the funds back.
    await waitFor('every rejection report applied', async () => {
      const open = await world.fixtures
        .db('withdrawal_outbox')
        .whereIn('withdrawal_id', ids)
        .whereNull('acked_at')
        .count<{ n: number }[]>('* as n');
      return Number(open[0]!.n) === 0 ? true : undefined;
    });
    expect(await world.balances(account, 'ETH')).toEqual({ available: funded, frozen: 0n });
    for (const id of ids) {
      const release = await world.fixtures
        .db('journal')
        .where({ ref_id: id, kind: 'withdrawal_release', bucket: 'available' })
        .count<{ n: number }[]>('* as n');
      expect(Number(release[0]!.n), id).toBe(1);
    }
    expect(await world.fixtures.invariants()).toEqual([]);
  });
});

describe('approve vs cancel', () => {
  it(`${RACES} concurrent races: never both 200; an approved one is paid and never released, a cancelled one never signed`, async () => {
    const funded = (AMOUNT + ETH_FEE) * BigInt(RACES);
    const account = await world.fundedAccount({ ETH: funded });
    const made: { id: string; to: string; localhash: string }[] = [];
    for (let i = 0; i < RACES; i++) {
      const to = WithdrawalWorld.freshAddress();
      const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
      expect(res.status).toBe(201);
      made.push({ id: res.body.id, to, localhash: '' });
    }
    // What the auditor reviewed (its localhash), read before the races so the approvals go out as one with the cancels.
    for (const w of made) {
      await world.signsrv.received(w.id);
      w.localhash = (await world.signsrv.review(w.id)).body.localhash;
    }

    const answers = await Promise.all(
      made.map(async (w) => {
        const [approve, cancel] = (await Promise.all([
          world.signsrv.send('POST', `/v1/reviews/${w.id}/approve`, { localhash: w.localhash }),
          world.api.post(`/v1/withdrawals/${w.id}/cancel`, {}),
        ])) as [Answer, Answer];
        return { ...w, approve, cancel };
      }),
    );

    const won = { approved: 0, cancelled: 0 };
    // Exactly one winner each, before anything is waited for.
    for (const a of answers)
      expect(
        [a.approve.status, a.cancel.status].filter((s) => s === 200),
        a.id,
      ).toHaveLength(1);
    // transrv applies each approval and the payout goes on (waited for all at once: each wait mines now and then).
    const paid = answers.filter((a) => a.approve.status === 200);
    await Promise.all(paid.map((a) => world.waitStatus(a.id, 'confirmed', 90_000)));
    for (const { id, to, approve, cancel } of answers) {
      const ctx = `${id}: approve ${approve.status} ${JSON.stringify(approve.body.error ?? null)}, cancel ${cancel.status} ${JSON.stringify(cancel.body.error ?? null)}`;
      expect(
        [approve.status, cancel.status].filter((s) => s === 200),
        ctx,
      ).toHaveLength(1);
      const winner = approve.status === 200 ? 'approved' : 'cancelled';
      won[winner]++;
      const review = await world.fixtures.db('sign_requests').where({ withdrawal_id: id }).first<{ decision: string | null }>('decision');
      const endings = await world.fixtures
        .db('withdrawal_events')
        .where({ withdrawal_id: id })
        .whereIn('to_status', ['approved', 'rejected', 'cancelled'])
        .select<{ to_status: string; actor: string }[]>('to_status', 'actor');
      if (winner === 'approved') {
        expect(approve.body.decision, ctx).toBe('approved');
        expect(cancel.status, ctx).toBe(409);
        expect(cancel.body.error?.code, ctx).toBe('WITHDRAWAL_NOT_CANCELLABLE');
        expect(review?.decision, ctx).toBe('approved');
      } else {
        expect(cancel.body.status, ctx).toBe('cancelled');
        expect(approve.status, ctx).toBe(409);
        expect(approve.body.error?.code, ctx).toBe('WITHDRAWAL_NOT_REVIEWABLE');
        expect(review?.decision ?? null, ctx).toBeNull();
        expect((await world.get(id)).status, ctx).toBe('cancelled');
      }
      // One of approved or cancelled in the trail, by the winner.
      expect(
        endings.map((e) => e.to_status),
        ctx,
      ).toEqual([winner]);
      expect(endings[0]!.actor, ctx).toMatch(winner === 'approved' ? /^automation:/ : /^client:/);
      // Paid once and never released, or released once and never paid.
      const releases = await world.fixtures.db('journal').where({ ref_id: id, kind: 'withdrawal_release', bucket: 'available' });
      expect(releases, ctx).toHaveLength(winner === 'cancelled' ? 1 : 0);
      expect(await world.provider.getBalance(to), ctx).toBe(winner === 'approved' ? AMOUNT : 0n);
      expect(await world.minedTxCount(id), ctx).toBe(winner === 'approved' ? 1 : 0);
    }
    console.log(`approve vs cancel: ${won.approved} approved, ${won.cancelled} cancelled of ${RACES} races`);

    // A cancelled one is never signed, however long signsrv's passes run.
    await new Promise((r) => setTimeout(r, 1500));
    for (const { id, approve } of answers) if (approve.status !== 200) expect(await world.txsOf(id), id).toEqual([]);
    expect(await world.balances(account, 'ETH')).toEqual({
      available: (AMOUNT + ETH_FEE) * BigInt(won.cancelled),
      frozen: 0n,
    });
    expect(await world.fixtures.invariants()).toEqual([]);
  });
});
