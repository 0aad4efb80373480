import { currentPolicy, requirementOf, signingControls, velocityOf } from '@wallet/payout';
import { type WithdrawalView, getWithdrawal, withdrawalEvents } from '@wallet/withdrawals';
import type { DevTxPosition } from './devChain.js';
import { formatDecimalAmount } from './decimalAmount.js';
import { type Confirmations, type WhereContext, type WhereReport, amountText, mineHint, normalizeRef } from './whereContext.js';

type SignRequestRow = {
  decision: 'approved' | 'rejected' | 'voided' | null;
  decided_by: string | null;
  reason: string | null;
  required_approvals: number | null;
  hold_until: Date | null;
  received_at: Date;
};

/** signsrv's side of a withdrawal: whether it has it, its decision, the approvals that count and those it asks for. */
type Review = {
  readonly received: boolean;
  readonly decision: SignRequestRow['decision'];
  readonly decidedBy: string | null;
  readonly approvals: readonly string[];
  /** The approvals the policy asks for (as decided, or as the current policy would decide now); null if not received. */
  readonly required: number | null;
  readonly holdUntil: Date | null;
  readonly consoleUrl: string | null;
  /** signsrv's HTTP base URL (its automation API). */
  readonly signsrvUrl: string | null;
};

/**
 * The withdrawals a reference names: the one with this id (`wd_...`), or those whose transaction (any attempt: a
 * fee bump has its own txid) has this txid, each with where it stands and what happens next.
 * @returns none when MySQL has no such withdrawal
 */
export async function whereWithdrawals(context: WhereContext, ref: string): Promise<WhereReport[]> {
  const key = normalizeRef(ref);
  const ids = key.startsWith('wd_')
    ? [key]
    : [
        ...(await context.db('withdrawals').where({ txid: key }).pluck<string[]>('id')),
        ...(await context.db('withdrawal_txs').where({ txid: key }).pluck<string[]>('withdrawal_id')),
      ];
  const reports: WhereReport[] = [];
  for (const id of [...new Set(ids)].sort()) {
    const w = await getWithdrawal(context.db, id);
    if (w) reports.push(await describe(context, w));
  }
  return reports;
}

async function describe(context: WhereContext, w: WithdrawalView): Promise<WhereReport> {
  const review = await reviewOf(context, w);
  const chain = w.internal ? 'no chain: settled inside the wallet' : await context.chain(w.chain);
  const onNode = typeof chain === 'string' || w.txid === null ? null : await chain.transaction(w.txid);
  const nodeHead = typeof chain === 'string' ? null : await chain.height();
  const required = context.registry.assets.get(w.asset)?.confirmations ?? 1;
  const confirmations: Confirmations = { counted: w.confirmations, required, node: onNode?.confirmations ?? null };
  const paused = w.status === 'approved' ? (await signingControls(context.db)).paused : false;
  const next = nextStep(w, review, confirmations, onNode, typeof chain === 'string' ? null : w.chain, paused, context);
  const events = await withdrawalEvents(context.db, w.id);
  const json = {
    kind: 'withdrawal',
    id: w.id,
    status: w.status,
    reason: w.reason,
    chain: w.chain,
    asset: w.asset,
    amount: w.amount.toString(),
    fee: w.fee.toString(),
    to: w.to,
    localhash: w.localhash,
    accountId: w.accountId,
    clientId: w.clientId,
    nodeId: w.nodeId,
    internal: w.internal,
    txid: w.txid,
    outputIndex: w.outputIndex,
    block: w.blockNumber === null ? null : { number: w.blockNumber, hash: w.blockHash },
    confirmations,
    nodeHead,
    onNode,
    ...(typeof chain === 'string' ? { chainNote: chain } : {}),
    review: { ...review, holdUntil: review.holdUntil?.toISOString() ?? null },
    events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
    next,
  };
  const lines = [
    `withdrawal ${w.id}: ${w.status}${w.reason === null ? '' : ` (${w.reason})`}`,
    `  amount         ${amountText(context.registry, w.asset, w.amount)}, fee ${feeText(context, w)}`,
    `  to             ${w.to}${w.internal ? ' (a deposit address of this wallet: settled in the ledger)' : ''}`,
    `  from           account ${w.accountId} (client ${w.clientId}, transrv ${w.nodeId})`,
    `  review         ${reviewLine(review)}`,
    ...(w.txid === null ? [] : [`  transaction    ${w.txid}${w.outputIndex === null ? '' : ` output ${w.outputIndex}`} on ${w.chain}`]),
    ...(w.txid === null || w.internal
      ? []
      : [
          `  confirmations  ${confirmations.counted ?? '-'} of ${required} counted to the scanned head` +
            (typeof chain === 'string'
              ? ` (node: ${chain})`
              : `; the node ${onNode === null ? 'does not know the transaction' : onNode.blockNumber === null ? 'has it in its mempool' : `has it in block ${onNode.blockNumber}: ${onNode.confirmations}`} (its head ${nodeHead})`),
        ]),
    ...events.map(
      (e) =>
        `  ${e.at.toISOString()}  ${(e.from ?? '-').padEnd(14)} -> ${e.to.padEnd(14)} ${e.actor}${e.reason === null ? '' : `: ${e.reason}`}`,
    ),
    `  next           ${next}`,
  ];
  return { json, lines };
}

async function reviewOf(context: WhereContext, w: WithdrawalView): Promise<Review> {
  const request = await context.db('sign_requests').where({ withdrawal_id: w.id }).first<SignRequestRow | undefined>();
  const approvals = await context
    .db('withdrawal_approvals')
    .where({ withdrawal_id: w.id, localhash: w.localhash })
    .orderBy('created_at')
    .pluck<string[]>('approver');
  let required = request?.required_approvals ?? null;
  if (request !== undefined && request.decision === null) {
    // What the console shows while undecided: what the asset's current policy asks of it now.
    const policy = await currentPolicy(context.db, w.asset);
    const velocity = await velocityOf(context.db, {
      id: w.id,
      account_id: w.accountId,
      client_id: w.clientId,
      asset: w.asset,
      amount: w.amount.toString(),
    });
    required = requirementOf(policy.rules, w.amount, velocity).approvals;
  }
  const signsrv = await context.signsrvUrl();
  return {
    received: request !== undefined,
    decision: request?.decision ?? null,
    decidedBy: request?.decided_by ?? null,
    approvals,
    required,
    holdUntil: request?.hold_until ?? null,
    consoleUrl: signsrv === null ? null : `${signsrv}/console/withdrawals/${w.id}`,
    signsrvUrl: signsrv,
  };
}

/** The withdrawal fee in the asset's unit, when the registry lists the asset. */
function feeText(context: WhereContext, w: WithdrawalView): string {
  const spec = context.registry.assets.get(w.asset);
  return spec === undefined ? `${w.fee} base units` : `${formatDecimalAmount(w.fee, spec.decimals)} ${w.asset}`;
}

/** Base units of a chain's coin in its unit (the network fee is paid in it, whatever the asset). */
function nativeText(context: WhereContext, chain: string, amount: bigint): string {
  const coin = context.registry.chains.get(chain)?.nativeAsset;
  const spec = coin === undefined ? undefined : context.registry.assets.get(coin);
  return spec === undefined ? `${amount} base units` : `${formatDecimalAmount(amount, spec.decimals)} ${spec.id}`;
}

function reviewLine(r: Review): string {
  if (!r.received) return 'not received by signsrv yet';
  const approvals = `${r.approvals.length} of ${r.required ?? '?'} approvals${r.approvals.length === 0 ? '' : ` (${r.approvals.join(', ')})`}`;
  return r.decision === null ? `undecided, ${approvals}` : `${r.decision} by ${r.decidedBy ?? '?'}, ${approvals}`;
}

function nextStep(
  w: WithdrawalView,
  r: Review,
  c: Confirmations,
  onNode: DevTxPosition | null,
  devChain: string | null,
  paused: boolean,
  context: WhereContext,
): string {
  const released = 'its amount and fee were released to the account';
  switch (w.status) {
    case 'pending_review':
      if (!r.received) return `transrv ${w.nodeId} hands it to signsrv (its outbox re-sends it until signsrv has it)`;
      if (r.decision !== null) return `signsrv ${r.decision} it; transrv ${w.nodeId} moves it on signsrv's report`;
      if (r.required === 0) return "the asset's policy approves it itself on signsrv's next pass";
      return (
        `waiting for ${r.required! - r.approvals.length} more approval(s) in the auditors' console: ${r.consoleUrl ?? '(signsrv is not registered)'}` +
        ` (or the automation API: POST ${r.signsrvUrl ?? ''}/v1/reviews/${w.id}/approve with its localhash)`
      );
    case 'approved':
      if (w.internal) return `transrv ${w.nodeId} credits the receiving account on its next pass; nothing is sent`;
      if (paused) return 'signing is paused (the kill switch): nothing is signed until an admin releases it';
      if (r.holdUntil !== null && r.holdUntil.getTime() > Date.now())
        return `held until ${r.holdUntil.toISOString()} (the client may still cancel), then signsrv signs and sends it`;
      return 'signsrv signs and sends it on its next pass (a UTXO chain may wait for its batch window)';
    case 'signed':
      return `signed as ${w.txid}: signsrv sends it on its next pass`;
    case 'broadcast': {
      if (onNode === null && devChain !== null) return `sent as ${w.txid}, but the node does not know it: signsrv sends it again`;
      if (onNode !== null && onNode.blockNumber === null)
        return `sent, in the node's mempool: it needs a block${devChain === null ? '' : ` (${mineHint(devChain, c.required)})`}`;
      const missing = c.required - (c.counted ?? 0);
      if (missing <= 0) return `it has its confirmations: transrv ${w.nodeId} confirms it on its next pass`;
      return (
        `transrv ${w.nodeId} confirms it once ${missing} more block${missing === 1 ? '' : 's'} are scanned on ${w.chain}` +
        (devChain === null ? '' : ` (${mineHint(devChain, missing)})`)
      );
    }
    case 'confirmed':
      return w.internal
        ? 'nothing: settled in the ledger'
        : `nothing: confirmed in block ${w.blockNumber ?? '?'}${w.networkFee === null ? '' : `, network fee ${nativeText(context, w.chain, w.networkFee)}`}`;
    case 'rejected':
    case 'cancelled':
    case 'failed':
      return `nothing: ${w.status}; ${released}`;
  }
}
