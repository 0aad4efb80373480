import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Issue 11 item 3: an auditor's reject (signsrv) racing the client's cancel (gatesrv -> transrv) for the same
// withdrawal. Both used to answer 200 (the withdrawal ended cancelled while signsrv recorded `rejected`); exactly one
// may win, as with approve vs cancel, and the audit trail, signsrv's decision and the ledger must agree with it.

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

      // The final status is the winner's, and stays so once transrv has applied signsrv's report.
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
      expect(endings[0]!.actor, ctx).toMatch(winner === 'rejected' ? /^auditor:/ : /^client:/);
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
