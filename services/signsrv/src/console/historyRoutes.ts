import { parseInput } from '@wallet/http-edge';
import { reviewRisks } from '@wallet/payout';
import { withdrawalStatuses } from '@wallet/withdrawal-protocol';
import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from './ConsoleDeps.js';
import { frameOf } from './consoleRequest.js';
import { consoleUrl } from './consoleUrl.js';
import { html } from './html.js';
import { formatTime, layout, sendHtml } from './layout.js';
import { DecidedQuery, clientChoices, commonFilterFields, decidedFilterOf } from './reviewFilters.js';
import { approvalsText, flagBadges, formatAmount, statusBadge, withdrawalLink } from './riskView.js';

const PAGE = 50;

const options = (values: readonly string[], selected: string | undefined, empty: string) =>
  html`<option value="">${empty}</option>
    ${values.map((v) => html`<option value="${v}" ${v === selected ? html` selected` : ''}>${v}</option>`)}`;

/**
 * History and search of decided withdrawals (the review desk's listDecided), newest first: the queue's filters plus
 * the decision, the status now, who decided and the destination.
 */
export function historyRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/history', async (request, reply) => {
      const q = parseInput(DecidedQuery, request.query, 'query');
      const rows = await deps.payouts.listDecided(decidedFilterOf(deps.registry, q), PAGE + 1, q.before);
      const items = rows.slice(0, PAGE);
      const next = rows.length > PAGE ? items[items.length - 1]!.withdrawalId : undefined;
      const [risks, clients] = await Promise.all([reviewRisks(deps.db, items), clientChoices(deps.db)]);
      const { before: _before, ...filters } = q;
      const body = html`<h1>History</h1>
        <form class="filters" method="get" action="${consoleUrl(['history'])}">
          ${commonFilterFields(deps.registry, clients, q)}
          <label
            >Decision
            <select name="decision">
              ${options(['approved', 'rejected', 'voided'], q.decision, 'any decision')}
            </select></label
          >
          <label
            >Status
            <select name="status">
              ${options(withdrawalStatuses, q.status, 'any status')}
            </select></label
          >
          <label>Decided by <input name="decidedBy" value="${q.decidedBy ?? ''}" maxlength="100" placeholder="user:alice" /></label>
          <label>Destination <input name="to" value="${q.to ?? ''}" maxlength="128" placeholder="address" /></label>
          <button type="submit">Search</button> <a href="${consoleUrl(['history'])}">Clear</a>
        </form>
        ${
          items.length === 0
            ? html`<p class="card muted">No decided withdrawal matches.</p>`
            : html`<table class="list" data-testid="history">
                <thead>
                  <tr>
                    <th>Withdrawal</th>
                    <th>Status</th>
                    <th>Decision</th>
                    <th class="num">Amount</th>
                    <th>Destination</th>
                    <th>Risk</th>
                    <th>Approvals</th>
                  </tr>
                </thead>
                <tbody>
                  ${items.map((v) => {
                    const risk = risks.get(v.withdrawalId);
                    return html`<tr data-withdrawal="${v.withdrawalId}">
                      <td data-label="Withdrawal">
                        ${withdrawalLink(v.withdrawalId)}<span class="sub">received ${formatTime(v.receivedAt)}</span>
                      </td>
                      <td data-label="Status">${statusBadge(v.status)}</td>
                      <td data-label="Decision">
                        ${v.decision}
                        <span class="sub">${v.decidedBy} · ${formatTime(v.decidedAt)}</span
                        >${v.reason ? html`<span class="sub">${v.reason}</span>` : ''}
                      </td>
                      <td data-label="Amount" class="num">${formatAmount(deps.registry, v.asset, v.amount)}</td>
                      <td data-label="Destination">
                        <span class="addr">${v.to}</span><span class="sub">client ${risk?.client.name ?? v.clientId}</span>
                      </td>
                      <td data-label="Risk">${flagBadges(risk)}</td>
                      <td data-label="Approvals">${approvalsText(v, risk)}</td>
                    </tr>`;
                  })}
                </tbody>
              </table>`
        }
        <div class="pager">
          ${q.before ? html`<a href="${consoleUrl(['history'], filters)}">Newest</a>` : ''}${next ? html`<a href="${consoleUrl(['history'], { ...filters, before: next })}">Older</a>` : ''}
        </div>`;
      return sendHtml(reply, layout(await frameOf(request, deps, 'history', 'History'), body));
    });
  };
}
