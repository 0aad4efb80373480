import { isWalletError } from '@wallet/errors';
import { parseInput, toEdgeError } from '@wallet/http-edge';
import { ObjectId } from '@wallet/ids';
import { AlertComment, type AlertView, acknowledgeAlert, listAlerts } from '@wallet/payout';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from './ConsoleDeps.js';
import { actorOf, formOf, frameOf, sessionOf } from './consoleRequest.js';
import { consoleUrl } from './consoleUrl.js';
import { type SafeHtml, html } from './html.js';
import { banner, csrfField, formatTime, layout, sendHtml } from './layout.js';
import { parseFields } from './readForm.js';
import { withdrawalLink } from './riskView.js';

const PAGE = 50;
const STATES = { open: 'Not acknowledged', acknowledged: 'Acknowledged', all: 'All' } as const;
type State = keyof typeof STATES;

const AlarmsQuery = z
  .object({
    state: z.enum(Object.keys(STATES) as [State]).default('open'),
    withdrawal: ObjectId.optional(),
    cursor: z.string().min(1).max(200).optional(),
    done: z.literal('acknowledged').optional(),
  })
  .strict();
const Params = z.object({ id: z.string().regex(/^[sn]:[1-9][0-9]{0,18}$/, 'an alarm id is s:<n> or n:<n>') }).strict();
const AckForm = z.object({ comment: AlertComment }).strict();

function alarmCard(request: FastifyRequest, a: AlertView): SafeHtml {
  const details = JSON.stringify(a.details, null, 1) ?? '';
  return html`<tr data-alarm="${a.id}">
    <td data-label="Alarm"><strong>${a.title}</strong><span class="sub mono">${a.kind} · ${a.id}</span></td>
    <td data-label="When">${formatTime(a.createdAt)}</td>
    <td data-label="What happened">
      ${a.text}${a.withdrawalId ? html`<span class="sub">withdrawal ${withdrawalLink(a.withdrawalId)}</span>` : ''}
      <details>
        <summary>details</summary>
        <pre class="details">${details}</pre>
      </details>
    </td>
    <td data-label="Acknowledgement">
      ${
        a.acknowledged
          ? html`<span class="badge ok">acknowledged</span><span class="sub">${a.acknowledged.by} · ${formatTime(a.acknowledged.at)}</span
              ><span class="sub">${a.acknowledged.comment}</span>`
          : html`<form class="inline" method="post" action="${consoleUrl(['alarms', a.id, 'ack'])}">
              ${csrfField(sessionOf(request))}
              <input name="comment" required maxlength="200" placeholder="what was done" aria-label="comment" />
              <button type="submit">Acknowledge</button>
            </form>`
      }
    </td>
  </tr>`;
}

/**
 * The operators' alarms of signsrv and transrv (@wallet/payout's read model), newest first: not yet acknowledged by
 * default; each can be acknowledged once, with a comment (recorded with the user).
 */
export function alarmRoutes(deps: ConsoleDeps) {
  async function page(request: FastifyRequest, reply: FastifyReply, q: z.infer<typeof AlarmsQuery>, message?: SafeHtml, status = 200) {
    const filter = {
      ...(q.state === 'all' ? {} : { acknowledged: q.state === 'acknowledged' }),
      ...(q.withdrawal === undefined ? {} : { withdrawalId: q.withdrawal }),
    };
    const alarms = await listAlerts(deps.db, filter, PAGE, q.cursor);
    const base = { withdrawal: q.withdrawal };
    const body = html`<h1>Alarms</h1>
      ${message ?? ''}
      <nav class="pager">
        ${(Object.keys(STATES) as State[]).map((s) =>
          s === q.state
            ? html`<strong>${STATES[s]}</strong>`
            : html`<a href="${consoleUrl(['alarms'], { ...base, state: s })}">${STATES[s]}</a>`,
        )}
      </nav>
      ${
        alarms.items.length === 0
          ? html`<p class="card muted" data-testid="alarms-empty">No alarms here.</p>`
          : html`<table class="list" data-testid="alarms">
              <thead>
                <tr>
                  <th>Alarm</th>
                  <th>When</th>
                  <th>What happened</th>
                  <th>Acknowledgement</th>
                </tr>
              </thead>
              <tbody>
                ${alarms.items.map((a) => alarmCard(request, a))}
              </tbody>
            </table>`
      }
      <div class="pager">
        ${alarms.next ? html`<a href="${consoleUrl(['alarms'], { ...base, state: q.state, cursor: alarms.next })}">Older</a>` : ''}
      </div>`;
    return sendHtml(reply, layout(await frameOf(request, deps, 'alarms', 'Alarms'), body), status);
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.get('/alarms', async (request, reply) => {
      const q = parseInput(AlarmsQuery, request.query, 'query');
      return page(request, reply, q, q.done ? banner('ok', 'The alarm is acknowledged.') : undefined);
    });

    app.post('/alarms/:id/ack', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      const form = parseFields(AckForm, formOf(request));
      try {
        await acknowledgeAlert(deps.db, id, actorOf(request), form.comment);
      } catch (error) {
        // acknowledged by someone else meanwhile: say so on the list
        if (!isWalletError(error, 'CONFLICT')) throw error;
        const e = toEdgeError(error);
        return page(request, reply, { state: 'all' }, banner('error', html`<strong>${e.code}</strong>: ${e.message}`), e.httpStatus);
      }
      return reply.redirect(consoleUrl(['alarms'], { done: 'acknowledged' }), 303);
    });
  };
}
