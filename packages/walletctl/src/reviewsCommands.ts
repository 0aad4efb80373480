import type { Knex } from '@wallet/db';
import { type ReviewView, listPolicies, pendingReviews, signingControls } from '@wallet/payout';

/** Where the command writes (walletctl's Io). */
type Io = { out: (line: string) => void; err: (line: string) => void };

/** The most withdrawals one `walletctl reviews` lists. */
const MAX_LISTED = 500;

/**
 * `walletctl reviews [--json]`: for operators at a terminal, the review queue as auditors see it (oldest first: asset,
 * amount, destination, approvals so far), whether signing is paused (the kill switch) and the automation API switched
 * on, and each asset's current policy. Read-only: decisions are taken in the console or through the automation API.
 * @returns the exit code
 */
export async function reviewsCommand(db: Knex, options: { readonly json: boolean }, io: Io): Promise<number> {
  const [queue, controls, policies] = await Promise.all([pendingReviews(db, {}, MAX_LISTED), signingControls(db), listPolicies(db)]);
  if (options.json) {
    io.out(
      JSON.stringify(
        {
          signing: controls,
          policies: policies.map((p) => ({ asset: p.asset, policyId: p.id, rules: p.rules, by: p.createdBy, at: p.createdAt })),
          pending: queue.map(json),
        },
        (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
        2,
      ),
    );
    return 0;
  }
  io.out(
    controls.paused
      ? `SIGNING PAUSED by ${controls.pausedBy ?? '?'} at ${controls.pausedAt?.toISOString() ?? '?'}: ${controls.pauseReason ?? ''}`
      : 'signing: running',
  );
  io.out(`automation API: ${controls.automationEnabled ? 'on' : 'off'}; whitelist cooling-off ${controls.whitelistCoolingOffSeconds} s`);
  for (const p of policies)
    io.out(
      `policy ${p.asset} (#${p.id ?? '-'}): ${JSON.stringify(p.rules, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
    );
  io.out(`${queue.length}${queue.length === MAX_LISTED ? '+' : ''} awaiting review (oldest first)`);
  for (const v of queue) {
    const approvals = v.approvals.filter((a) => a.counts).map((a) => a.approver);
    io.out(
      `${v.withdrawalId}  ${v.receivedAt.toISOString()}  ${v.asset} ${v.amount}  -> ${v.to}  client ${v.clientId}${v.clientDisabled ? ' (disabled)' : ''}` +
        `  approvals: ${approvals.length === 0 ? 'none' : approvals.join(', ')}`,
    );
  }
  return 0;
}

function json(v: ReviewView) {
  return { ...v, amount: v.amount.toString(), fee: v.fee.toString() };
}
