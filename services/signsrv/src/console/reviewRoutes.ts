import { isWalletError } from '@wallet/errors';
import { parseInput, toEdgeError } from '@wallet/http-edge';
import { ObjectId } from '@wallet/ids';
import { type ReviewRisk, type ReviewView, listAlerts, reviewRisks } from '@wallet/payout';
import { withdrawalEvents } from '@wallet/withdrawals';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from './ConsoleDeps.js';
import { type FiatPrices, fiatText, loadFiatPrices } from './fiatValues.js';
import { formOf, frameOf, principalOf, sessionOf } from './consoleRequest.js';
import { consoleUrl } from './consoleUrl.js';
import { type SafeHtml, html } from './html.js';
import { banner, csrfField, formatAge, formatTime, layout, sendHtml } from './layout.js';
import { parseFields } from './readForm.js';
import { QueueQuery, clientChoices, commonFilterFields, queueFilterOf } from './reviewFilters.js';
import {
  FLAG_TEXT,
  activityText,
  approvalsText,
  flagBadges,
  formatAmount,
  statusBadge,
  velocityText,
  whitelistText,
  withdrawalLink,
} from './riskView.js';

const PAGE = 50;
const Params = z.object({ id: ObjectId }).strict();
/** What a decision page says after the redirect: fixed texts only, chosen by a key. */
const DONE = {
  approved: 'Approved: the withdrawal will be signed and sent.',
  approval_added: 'Your approval is recorded; the policy needs more approvers.',
  rejected: 'Rejected: the funds are released to the account.',
  voided: 'Voided: the withdrawal will not be signed; the funds are released.',
} as const;
const DetailQuery = z.object({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }).strict();
const ApproveForm = z
  .object({
    localhash: z.string().regex(/^[0-9a-f]{64}$/, 'the reviewed version is missing: reload the page'),
    comment: z.string().trim().max(200, 'a comment is at most 200 characters').optional(),
  })
  .strict();
const ReasonForm = z
  .object({ reason: z.string().trim().min(1, 'a reason is required').max(200, 'a reason is at most 200 characters') })
  .strict();

/** The queue's table: on a phone each row is a card. */
function queueTable(deps: ConsoleDeps, items: readonly ReviewView[], risks: Map<string, ReviewRisk>, prices: FiatPrices): SafeHtml {
  if (items.length === 0) return html`<p class="card muted" data-testid="queue-empty">Nothing waits for review.</p>`;
  const now = Date.now();
  return html`<table class="list" data-testid="queue">
    <thead>
      <tr>
        <th>Withdrawal</th>
        <th>Client and account</th>
        <th class="num">Amount</th>
        <th>Destination</th>
        <th>Risk</th>
        <th>24 h velocity</th>
        <th>Recent activity</th>
        <th>Approvals</th>
      </tr>
    </thead>
    <tbody>
      ${items.map((v) => {
        const risk = risks.get(v.withdrawalId)!;
        return html`<tr data-withdrawal="${v.withdrawalId}">
          <td data-label="Withdrawal">${withdrawalLink(v.withdrawalId)}<span class="sub">waiting ${formatAge(v.receivedAt, now)}</span></td>
          <td data-label="Client and account">
            ${risk.client.name ?? v.clientId}${v.clientDisabled ? html` <span class="badge warn">disabled</span>` : ''}<span
              class="sub mono"
              >${v.accountId}</span
            >
          </td>
          <td data-label="Amount" class="num">
            <strong>${formatAmount(deps.registry, v.asset, v.amount)}</strong
            ><span class="sub" data-testid="fiat">${fiatText(deps.registry, prices, v.asset, v.amount, now)}</span
            ><span class="sub">fee ${formatAmount(deps.registry, v.asset, v.fee)}</span>
          </td>
          <td data-label="Destination"><span class="addr">${v.to}</span><span class="sub">${v.chain} · ${whitelistText(risk)}</span></td>
          <td data-label="Risk">${flagBadges(risk)}</td>
          <td data-label="24 h velocity">${velocityText(deps.registry, v.asset, risk)}</td>
          <td data-label="Recent activity">${activityText(deps.registry, v.asset, risk)}</td>
          <td data-label="Approvals">${approvalsText(v, risk)}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

/** The facts of one withdrawal. */
function facts(deps: ConsoleDeps, v: ReviewView, risk: ReviewRisk, prices: FiatPrices): SafeHtml {
  const row = (label: string, value: unknown) =>
    html`<dt>${label}</dt>
      <dd>${value as SafeHtml}</dd>`;
  return html`<dl class="facts">
    ${row('Status', statusBadge(v.status))}
    ${row('Decision', v.decision ? html`${v.decision} by ${v.decidedBy} at ${formatTime(v.decidedAt)}${v.reason ? html`: ${v.reason}` : ''}` : 'waiting for review')}
    ${row('Client', html`${risk.client.name ?? ''} <span class="mono">${v.clientId}</span>${v.clientDisabled ? html` <span class="badge warn">disabled</span>` : ''}`)}
    ${row('Account', html`<span class="mono">${v.accountId}</span> on ${v.nodeId}`)}
    ${row('Amount', html`<strong data-testid="amount">${formatAmount(deps.registry, v.asset, v.amount)}</strong> <span class="sub" data-testid="fiat">${fiatText(deps.registry, prices, v.asset, v.amount)}</span> <span class="sub mono">${v.amount} base units</span>`)}
    ${row('Fee', formatAmount(deps.registry, v.asset, v.fee))}
    ${row('Destination', html`<span class="addr">${v.to}</span> <span class="sub">${v.chain}${v.internal ? html` · internal, to ${v.internalAccountId}` : ''}</span>`)}
    ${row('Received', `${formatTime(v.receivedAt)} (${formatAge(v.receivedAt)} ago)`)} ${row('Requested by', v.requestedBy ?? '')}
    ${row('Localhash', html`<span class="hash">${v.localhash}</span>`)}
    ${v.txid ? row('Transaction', html`<span class="hash">${v.txid}</span>${v.nonce === null ? '' : html` <span class="sub">nonce ${v.nonce}</span>`}`) : ''}
    ${v.holdUntil ? row('Held until', formatTime(v.holdUntil)) : ''}
    ${v.policyId ? row('Decided under policy', `version ${v.policyId}`) : ''}
  </dl>`;
}

/** The risk panel of one withdrawal: every flag with its sentence, and the figures behind them. */
function riskPanel(deps: ConsoleDeps, v: ReviewView, risk: ReviewRisk): SafeHtml {
  const r = risk.requirement;
  return html`<div>${flagBadges(risk)}</div>
    <ul>
      ${risk.flags.map((f) => html`<li>${FLAG_TEXT[f.flag].text}</li>`)}
    </ul>
    <dl class="facts">
      <dt>Whitelist</dt>
      <dd data-testid="whitelist">${whitelistText(risk)}</dd>
      <dt>Paid before</dt>
      <dd>${risk.destination.paidBefore} confirmed withdrawals of this client to it</dd>
      <dt>Other clients</dt>
      <dd>${risk.destination.otherClients}</dd>
      <dt>Contract</dt>
      <dd>${risk.destination.isContract === null ? 'not known' : risk.destination.isContract ? 'yes' : 'no'}</dd>
      <dt>24 h velocity</dt>
      <dd>${velocityText(deps.registry, v.asset, risk)}</dd>
      <dt>Recent activity</dt>
      <dd>${activityText(deps.registry, v.asset, risk)}</dd>
      <dt>Policy now</dt>
      <dd>
        ${r.approvals === 0 ? 'approved by the policy itself' : `${r.approvals} approver${r.approvals > 1 ? 's' : ''}`}
        (${r.tier}${r.escalations.length > 0 ? `: ${r.escalations.join(', ')}` : ''})${risk.policy.id ? `, version ${risk.policy.id}` : ', the default'}
      </dd>
    </dl>`;
}

/** The approvals given so far, each with whether it counts. */
function approvalsList(v: ReviewView): SafeHtml {
  if (v.approvals.length === 0) return html`<p class="muted">No approvals yet.</p>`;
  return html`<table class="list" data-testid="approvals-list">
    <thead>
      <tr>
        <th>Approver</th>
        <th>When</th>
        <th>Comment</th>
        <th>Counts</th>
      </tr>
    </thead>
    <tbody>
      ${v.approvals.map(
        (a) =>
          html`<tr>
            <td data-label="Approver">${a.approver} <span class="sub">${a.role}</span></td>
            <td data-label="When">${formatTime(a.at)}</td>
            <td data-label="Comment">${a.comment ?? ''}</td>
            <td data-label="Counts">${a.counts ? 'yes' : html`<span class="badge warn">no: another version</span>`}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The decision forms an auditor sees (none for an admin, or once decided). */
function actions(request: FastifyRequest, v: ReviewView, risk: ReviewRisk): SafeHtml {
  const session = sessionOf(request);
  const me = principalOf(request).id;
  if (session.user.role !== 'auditor') return html`<p class="muted">Admins do not approve or reject withdrawals.</p>`;
  const path = (action: string) => consoleUrl(['withdrawals', v.withdrawalId, action]);
  if (v.decision === 'approved' && v.txid === null && v.status === 'approved') {
    return html`<form class="stack card" method="post" action="${path('void')}">
      ${csrfField(session)}
      <h2>Void (never signed)</h2>
      <p class="muted">Only for an approved withdrawal whose transaction cannot be built: its funds are released.</p>
      <label>Reason <textarea name="reason" required maxlength="200"></textarea></label>
      <button class="danger" type="submit">Void</button>
    </form>`;
  }
  if (v.decision !== null || v.status !== 'pending_review') return html``;
  const counted = v.approvals.filter((a) => a.counts).length;
  const required = Math.max(1, risk.requirement.approvals);
  const mine = v.approvals.some((a) => a.approver === me);
  const approve = mine
    ? html`<div class="card">
        <h2>Approve</h2>
        <p data-testid="already-approved">You have approved this withdrawal: another auditor must give the next approval.</p>
      </div>`
    : html`<form class="stack card" method="post" action="${path('approve')}" data-testid="approve-form">
        ${csrfField(session)}
        <input type="hidden" name="localhash" value="${v.localhash}" />
        <h2>Approve</h2>
        <p class="muted">Your approval is bound to this very version of the withdrawal: if anything of it changes, it does not count.</p>
        <label>Comment <span class="hint">optional</span><textarea name="comment" maxlength="200"></textarea></label>
        <button class="primary" type="submit">${counted + 1 >= required ? 'Approve' : `Approve (${counted + 1} of ${required})`}</button>
      </form>`;
  return html`<div class="actions">
    ${approve}
    <form class="stack card" method="post" action="${path('reject')}" data-testid="reject-form">
      ${csrfField(session)}
      <h2>Reject</h2>
      <p class="muted">The funds go back to the account; the client sees the reason.</p>
      <label>Reason <textarea name="reason" required maxlength="200"></textarea></label>
      <button class="danger" type="submit">Reject</button>
    </form>
  </div>`;
}

/**
 * The review queue and one withdrawal's page with its decisions. The queue lists what waits, oldest first, with the
 * filters of the review desk and each item's risk view; the page shows everything about one withdrawal (facts, risk,
 * approvals, its trail and alarms) and, to an auditor, the approve and reject forms. An approval carries the localhash
 * the page showed: the review desk counts it only for that version.
 */
export function reviewRoutes(deps: ConsoleDeps) {
  /** One withdrawal's page, with a message above it (after a decision) or an error (a refused decision). */
  async function detail(request: FastifyRequest, reply: FastifyReply, id: string, message?: SafeHtml, status = 200) {
    const view = await deps.payouts.get(id);
    const [risks, events, alarms, prices] = await Promise.all([
      reviewRisks(deps.db, [view]),
      withdrawalEvents(deps.db, id),
      listAlerts(deps.db, { withdrawalId: id }, 20),
      loadFiatPrices(deps.db, deps.fiat ?? 'USD', deps.log),
    ]);
    const risk = risks.get(id)!;
    const body = html`<h1>Withdrawal <span class="mono">${id}</span> ${statusBadge(view.status)}</h1>
      ${message ?? ''}
      <div class="grid">
        <section class="card">
          <h2>Withdrawal</h2>
          ${facts(deps, view, risk, prices)}
        </section>
        <section class="card">
          <h2>Risk</h2>
          ${riskPanel(deps, view, risk)}
        </section>
      </div>
      <section>
        <h2>Approvals: ${approvalsText(view, risk)}</h2>
        ${approvalsList(view)}
      </section>
      <section>${actions(request, view, risk)}</section>
      <section>
        <h2>Trail</h2>
        <table class="list" data-testid="trail">
          <thead>
            <tr>
              <th>When</th>
              <th>Status</th>
              <th>By</th>
              <th>Reason or transaction</th>
            </tr>
          </thead>
          <tbody>
            ${events.map(
              (e) =>
                html`<tr>
                  <td data-label="When">${formatTime(e.at)}</td>
                  <td data-label="Status">${e.from ?? '—'} → ${e.to}</td>
                  <td data-label="By">${e.actor}</td>
                  <td data-label="Reason or transaction">${e.reason ?? ''}${e.txid ? html`<span class="hash">${e.txid}</span>` : ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>
      ${
        alarms.items.length > 0
          ? html`<section>
              <h2>Alarms</h2>
              <ul>
                ${alarms.items.map(
                  (a) =>
                    html`<li>
                      <strong>${a.title}</strong> (${formatTime(a.createdAt)}): ${a.text}
                      ${a.acknowledged ? html`<span class="badge ok">acknowledged</span>` : html`<a href="${consoleUrl(['alarms'], { withdrawal: id })}">acknowledge</a>`}
                    </li>`,
                )}
              </ul>
            </section>`
          : ''
      }`;
    return sendHtml(reply, layout(await frameOf(request, deps, 'queue', `Withdrawal ${id}`), body), status);
  }

  /** Runs a decision; a refusal the auditor can act on (stale, already approved, not whitelisted...) is shown on the page. */
  async function decide(request: FastifyRequest, reply: FastifyReply, id: string, run: () => Promise<keyof typeof DONE>) {
    let done: keyof typeof DONE;
    try {
      done = await run();
    } catch (error) {
      if (!isWalletError(error) || error.code === 'UNAUTHENTICATED') throw error;
      const e = toEdgeError(error);
      if (e.httpStatus >= 500 || e.code === 'NOT_FOUND') throw error;
      return detail(request, reply, id, banner('error', html`<strong>${e.code}</strong>: ${e.message}`), e.httpStatus);
    }
    return reply.redirect(consoleUrl(['withdrawals', id], { done }), 303);
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.get('/queue', async (request, reply) => {
      const q = parseInput(QueueQuery, request.query, 'query');
      const filter = queueFilterOf(deps.registry, q);
      const rows = await deps.payouts.listPending(filter, PAGE + 1, q.after);
      const items = rows.slice(0, PAGE);
      const next = rows.length > PAGE ? items[items.length - 1]!.withdrawalId : undefined;
      const [risks, clients, prices] = await Promise.all([
        reviewRisks(deps.db, items),
        clientChoices(deps.db),
        loadFiatPrices(deps.db, deps.fiat ?? 'USD', deps.log),
      ]);
      const { after: _after, ...filters } = q;
      const body = html`<h1>Review queue</h1>
        <form class="filters" method="get" action="${consoleUrl(['queue'])}">
          ${commonFilterFields(deps.registry, clients, q)}
          <button type="submit">Filter</button> <a href="${consoleUrl(['queue'])}">Clear</a>
        </form>
        ${queueTable(deps, items, risks, prices)}
        <div class="pager">
          ${q.after ? html`<a href="${consoleUrl(['queue'], filters)}">First page</a>` : ''}${next ? html`<a href="${consoleUrl(['queue'], { ...filters, after: next })}">Next page</a>` : ''}
        </div>`;
      return sendHtml(reply, layout(await frameOf(request, deps, 'queue', 'Review queue'), body));
    });

    app.get('/withdrawals/:id', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      const { done } = parseInput(DetailQuery, request.query, 'query');
      return detail(request, reply, id, done === undefined ? undefined : banner('ok', DONE[done]));
    });

    app.post('/withdrawals/:id/approve', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      const form = parseFields(ApproveForm, formOf(request));
      return decide(request, reply, id, async () => {
        const view = await deps.payouts.approve(principalOf(request), id, {
          localhash: form.localhash,
          comment: form.comment || undefined,
        });
        return view.decision === 'approved' ? 'approved' : 'approval_added';
      });
    });

    app.post('/withdrawals/:id/reject', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      const form = parseFields(ReasonForm, formOf(request));
      return decide(request, reply, id, async () => {
        await deps.payouts.reject(principalOf(request), id, form.reason);
        return 'rejected';
      });
    });

    app.post('/withdrawals/:id/void', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      const form = parseFields(ReasonForm, formOf(request));
      return decide(request, reply, id, async () => {
        await deps.payouts.voidApproved(principalOf(request), id, form.reason);
        return 'voided';
      });
    });
  };
}
