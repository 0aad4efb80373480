import { parseInput } from '@wallet/http-edge';
import {
  type MoveView,
  type ReconciliationRecord,
  assetHalts,
  decideMove,
  latestReconciliations,
  liabilitiesByAsset,
  listMoves,
  reconciliationHistory,
  requestContractCall,
} from '@wallet/payout';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from '../ConsoleDeps.js';
import { formOf, frameOf, principalOf, sessionOf } from '../consoleRequest.js';
import { consoleUrl } from '../consoleUrl.js';
import { type SafeHtml, html } from '../html.js';
import { banner, csrfField, formatTime, layout, sendHtml } from '../layout.js';
import { parseFields } from '../readForm.js';

const DONE = {
  approved: 'Your approval is recorded.',
  rejected: 'The move is rejected: it will not be signed.',
  requested: 'The contract call is recorded: it waits for the admins’ approvals.',
} as const;
const TreasuryQuery = z.object({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }).strict();
const HistoryQuery = z.object({ asset: z.string().regex(/^[A-Za-z0-9_.-]{1,16}$/, 'an asset id') }).strict();
const MoveParams = z.object({ id: z.string().regex(/^tm_[0-9A-Z]{26}$/, 'a treasury move id') }).strict();
const RejectForm = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(500) }).strict();
const CallForm = z
  .object({
    chain: z.string().min(1).max(16),
    to: z.string().trim().max(42).default(''),
    value: z.string().trim().max(80).default('0'),
    data: z.string().trim().max(100_000),
    note: z.string().max(500).default(''),
  })
  .strict();

type TierRow = {
  asset: string;
  chain: string;
  cap: string | null;
  floor: string | null;
  cold_address: string | null;
  last_hot: string | null;
  measured_at: Date | null;
  below_floor_since: Date | null;
};

const amount = (v: bigint | string | null | undefined) => (v === null || v === undefined ? '-' : v.toString());

function runCells(r: ReconciliationRecord | undefined): SafeHtml {
  if (!r) return html`<td colspan="6">no pass yet</td>`;
  return html`<td>${amount(r.hot)}</td>
    <td>${amount(r.fee)}</td>
    <td>${amount(r.deposit)}</td>
    <td>${amount(r.inFlight)}</td>
    <td>${amount(r.cold)}</td>
    <td>${amount(r.difference)}${r.short ? html` <span class="badge block">short</span>` : ''}</td>`;
}

function moveRow(m: MoveView, csrf: SafeHtml, mayDecide: boolean): SafeHtml {
  const approvals = m.decisions.filter((d) => d.decision === 'approved').map((d) => d.by);
  return html`<tr data-move="${m.id}" data-kind="${m.kind}" data-status="${m.status}">
    <td><code>${m.id}</code></td>
    <td>${m.kind.replace('_', ' ')}</td>
    <td>${m.chain} ${m.asset}</td>
    <td>${m.to === null ? html`<em>contract creation</em>` : html`<code>${m.to}</code>`}</td>
    <td>${m.amount.toString()}</td>
    <td data-testid="move-status">${m.status.replace('_', ' ')}</td>
    <td>${approvals.length}/${m.requiredApprovals} ${approvals.join(', ')}</td>
    <td>${m.requestedBy}${m.note ? html`<br /><span class="hint">${m.note}</span>` : ''}</td>
    <td>
      ${m.txid ? html`<code>${m.txid}</code>` : ''}${m.contractAddress ? html`<br />contract <code data-testid="contract-address">${m.contractAddress}</code>` : ''}${
        m.reason ? html`<br /><span class="hint">${m.reason}</span>` : ''
      }
    </td>
    <td>
      ${
        mayDecide && m.status === 'pending_review'
          ? html`<form method="post" action="${consoleUrl(['admin', 'treasury', 'moves', m.id, 'approve'])}">
                ${csrf}<button class="primary" type="submit" data-testid="approve-move">Approve</button>
              </form>
              <form class="stack" method="post" action="${consoleUrl(['admin', 'treasury', 'moves', m.id, 'reject'])}">
                ${csrf}<input name="reason" required maxlength="500" placeholder="reason" />
                <button class="danger" type="submit" data-testid="reject-move">Reject</button>
              </form>`
          : ''
      }
    </td>
  </tr>`;
}

/**
 * The treasury (admins only): per asset what users are owed, the last reconciliation's holdings and the tiers (cap,
 * floor, cold address, the hot wallet's last measure, an episode under the floor); each asset's reconciliation
 * history; the treasury moves (cold transfers, contract calls, refills) with approve and reject for those awaiting
 * review (M admins other than the requester: @wallet/payout's decideMove), and a form to ask for a contract call.
 */
export function treasuryRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/treasury', async (request, reply) => {
      const { done } = parseInput(TreasuryQuery, request.query, 'query');
      const [owed, last, halts, tiers, moves] = await Promise.all([
        liabilitiesByAsset(deps.db),
        latestReconciliations(deps.db),
        assetHalts(deps.db),
        deps.db<TierRow>('treasury_tiers').select('*'),
        listMoves(deps.db, { limit: 50 }),
      ]);
      const tierOf = new Map(tiers.map((t) => [t.asset, t]));
      const haltOf = new Map(halts.filter((h) => h.halted).map((h) => [h.asset, h]));
      const assets = [...new Set([...deps.registry.assets.keys(), ...owed.keys()])].sort();
      const csrf = csrfField(sessionOf(request));
      const me = principalOf(request).id;
      const evmChains = [...deps.registry.chains.values()].filter((c) => c.kind === 'evm');
      const body = html`<h1>Treasury</h1>
        ${done ? banner('ok', DONE[done]) : ''}
        <section class="card">
          <h2>Books and holdings</h2>
          <table data-testid="treasury-assets">
            <thead>
              <tr>
                <th>asset</th>
                <th>owed to users</th>
                <th>hot</th>
                <th>fee</th>
                <th>deposit addresses</th>
                <th>in flight</th>
                <th>cold</th>
                <th>difference</th>
                <th>cap</th>
                <th>floor</th>
                <th>hot now</th>
                <th>cold address</th>
                <th>signing</th>
                <th>history</th>
              </tr>
            </thead>
            <tbody>
              ${assets.map((asset) => {
                const l = owed.get(asset);
                const t = tierOf.get(asset);
                const h = haltOf.get(asset);
                return html`<tr data-asset="${asset}">
                  <td>${asset}</td>
                  <td>${l ? (l.available + l.frozen + l.pending).toString() : '0'}</td>
                  ${runCells(last.get(asset))}
                  <td>${amount(t?.cap)}</td>
                  <td>${amount(t?.floor)}</td>
                  <td data-testid="hot-now">
                    ${amount(t?.last_hot)}${
                      t?.below_floor_since
                        ? html` <span class="badge block" data-testid="below-floor"
                            >below floor since ${formatTime(t.below_floor_since)}</span
                          >`
                        : ''
                    }
                  </td>
                  <td>${t?.cold_address ? html`<code>${t.cold_address}</code>` : '-'}</td>
                  <td>
                    ${h ? html`<span class="badge block">halted</span> short ${amount(h.shortfall)}` : html`<span class="badge ok">ok</span>`}
                  </td>
                  <td><a href="${consoleUrl(['admin', 'treasury', 'history'], { asset })}">passes</a></td>
                </tr>`;
              })}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>Treasury moves</h2>
          <p class="hint">
            Cold transfers (the excess over a cap) and contract calls are signed from the hot wallet once enough admins other than the
            requester approve; refills from cold are recognised on chain.
          </p>
          <table data-testid="treasury-moves">
            <thead>
              <tr>
                <th>id</th>
                <th>kind</th>
                <th>asset</th>
                <th>to</th>
                <th>amount (base units)</th>
                <th>status</th>
                <th>approvals</th>
                <th>asked by</th>
                <th>transaction</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${moves.map((m) => moveRow(m, csrf, m.requestedBy !== me && !m.decisions.some((d) => d.by === me)))}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>Ask for a contract call</h2>
          <form class="stack" method="post" action="${consoleUrl(['admin', 'treasury', 'calls'])}" data-testid="contract-call-form">
            ${csrf}
            <label
              >Chain
              <select name="chain">
                ${evmChains.map((c) => html`<option value="${c.id}">${c.id}</option>`)}
              </select></label
            >
            <label>Contract <span class="hint">empty: deploy the code in data</span> <input name="to" maxlength="42" /></label>
            <label>Value <span class="hint">wei</span> <input name="value" value="0" inputmode="numeric" maxlength="80" /></label>
            <label>Data <span class="hint">0x-hex calldata or init code</span> <textarea name="data" required></textarea></label>
            <label>Note <input name="note" maxlength="500" /></label>
            <button type="submit">Ask for review</button>
          </form>
        </section>`;
      return sendHtml(reply, layout(await frameOf(request, deps, 'treasury', 'Treasury'), body));
    });

    app.get('/treasury/history', async (request, reply) => {
      const { asset } = parseInput(HistoryQuery, request.query, 'query');
      const runs = await reconciliationHistory(deps.db, asset, 100);
      const body = html`<h1>Reconciliation of ${asset}</h1>
        <table data-testid="reconciliation-history">
          <thead>
            <tr>
              <th>at</th>
              <th>trigger</th>
              <th>liabilities</th>
              <th>hot</th>
              <th>fee</th>
              <th>deposit</th>
              <th>in flight</th>
              <th>cold</th>
              <th>difference</th>
              <th>tolerance</th>
              <th>halted</th>
            </tr>
          </thead>
          <tbody>
            ${runs.map(
              (r) =>
                html`<tr>
                  <td>${formatTime(r.at)}</td>
                  <td>${r.trigger}</td>
                  <td>${amount(r.liabilities)}</td>
                  ${runCells(r)}
                  <td>${amount(r.tolerance)}</td>
                  <td>${r.halted ? 'yes' : 'no'}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
      return sendHtml(reply, layout(await frameOf(request, deps, 'treasury', `Reconciliation of ${asset}`), body));
    });

    app.post('/treasury/moves/:id/approve', async (request, reply) => {
      const { id } = parseInput(MoveParams, request.params, 'params');
      await decideMove(deps.db, deps.audit, principalOf(request), id, 'approve');
      return reply.redirect(consoleUrl(['admin', 'treasury'], { done: 'approved' }), 303);
    });

    app.post('/treasury/moves/:id/reject', async (request, reply) => {
      const { id } = parseInput(MoveParams, request.params, 'params');
      const { reason } = parseFields(RejectForm, formOf(request));
      await decideMove(deps.db, deps.audit, principalOf(request), id, 'reject', reason);
      return reply.redirect(consoleUrl(['admin', 'treasury'], { done: 'rejected' }), 303);
    });

    app.post('/treasury/calls', async (request, reply) => {
      const form = parseFields(CallForm, formOf(request));
      await requestContractCall(
        deps.db,
        deps.audit,
        deps.registry,
        principalOf(request),
        { chain: form.chain, to: form.to === '' ? null : form.to, value: form.value, data: form.data, note: form.note },
        deps.treasuryApprovals ?? 2,
      );
      return reply.redirect(consoleUrl(['admin', 'treasury'], { done: 'requested' }), 303);
    });
  };
}
