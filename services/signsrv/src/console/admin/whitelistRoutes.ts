import { parseInput } from '@wallet/http-edge';
import { ObjectId } from '@wallet/ids';
import { addWhitelistEntry, listWhitelist, removeWhitelistEntry, signingControls } from '@wallet/payout';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from '../ConsoleDeps.js';
import { formOf, frameOf, principalOf, sessionOf } from '../consoleRequest.js';
import { consoleUrl } from '../consoleUrl.js';
import { html } from '../html.js';
import { banner, csrfField, formatTime, layout, sendHtml } from '../layout.js';
import { parseFields } from '../readForm.js';
import { clientChoices, clientOptions } from '../reviewFilters.js';

const optional = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const DONE = { added: 'The destination is whitelisted: usable once its cooling-off is over.', removed: 'The entry is removed.' } as const;
const WhitelistQuery = z.object({ client: optional(ObjectId), done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }).strict();
const AddForm = z
  .object({
    clientId: ObjectId,
    chain: z.string().min(1).max(16),
    address: z.string().trim().min(1, 'an address is required').max(128),
    label: z.string().trim().max(100).optional(),
  })
  .strict();
const Params = z.object({ id: z.string().regex(/^[1-9][0-9]{0,19}$/, 'an entry id') }).strict();
const Empty = z.object({}).strict();

/**
 * Per-client destination whitelists (admins only): the live entries with when each becomes usable (the cooling-off
 * set on the controls page), add and remove. Each change is @wallet/payout's, audited; the review desk enforces the
 * whitelist where an asset's policy requires it.
 */
export function whitelistRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/whitelist', async (request, reply) => {
      const q = parseInput(WhitelistQuery, request.query, 'query');
      const [entries, clients, controls] = await Promise.all([
        listWhitelist(deps.db, { clientId: q.client }),
        clientChoices(deps.db),
        signingControls(deps.db),
      ]);
      const names = new Map(clients.map((c) => [c.id, c.name]));
      const session = sessionOf(request);
      const now = Date.now();
      const body = html`<h1>Whitelist</h1>
        ${q.done ? banner('ok', DONE[q.done]) : ''}
        <form class="filters" method="get" action="${consoleUrl(['admin', 'whitelist'])}">
          <label
            >Client
            <select name="client">
              ${clientOptions(clients, q.client, 'every client')}
            </select></label
          >
          <button type="submit">Show</button>
        </form>
        ${
          entries.length === 0
            ? html`<p class="card muted">No whitelisted destination.</p>`
            : html`<table class="list" data-testid="whitelist">
                <thead>
                  <tr>
                    <th>Client</th>
                    <th>Destination</th>
                    <th>Label</th>
                    <th>Added</th>
                    <th>Usable</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${entries.map(
                    (e) =>
                      html`<tr data-entry="${e.id}" data-address="${e.address}">
                        <td data-label="Client">${names.get(e.clientId) ?? ''}<span class="sub mono">${e.clientId}</span></td>
                        <td data-label="Destination"><span class="addr">${e.address}</span><span class="sub">${e.chain}</span></td>
                        <td data-label="Label">${e.label ?? ''}</td>
                        <td data-label="Added">${e.addedBy}<span class="sub">${formatTime(e.createdAt)}</span></td>
                        <td data-label="Usable">
                          ${e.usableAt.getTime() <= now ? html`<span class="badge ok">usable</span>` : html`<span class="badge warn">cooling off</span>`}<span
                            class="sub"
                            data-testid="usable-at"
                            >from ${formatTime(e.usableAt)}</span
                          >
                        </td>
                        <td data-label="">
                          <form class="inline" method="post" action="${consoleUrl(['admin', 'whitelist', e.id, 'remove'])}">
                            ${csrfField(session)}<button type="submit" class="danger">Remove</button>
                          </form>
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        <form class="stack card" method="post" action="${consoleUrl(['admin', 'whitelist'])}" data-testid="whitelist-add">
          ${csrfField(session)}
          <h2>Add a destination</h2>
          <p class="muted">A new entry is usable after the cooling-off: now ${controls.whitelistCoolingOffSeconds} seconds.</p>
          <label
            >Client
            <select name="clientId" required>
              ${clientOptions(clients, q.client, 'choose a client')}
            </select></label
          >
          <label
            >Chain
            <select name="chain">
              ${[...deps.registry.chains.keys()].map((c) => html`<option value="${c}">${c}</option>`)}
            </select></label
          >
          <label>Address <input name="address" required maxlength="128" autocapitalize="none" spellcheck="false" /></label>
          <label>Label <span class="hint">optional</span><input name="label" maxlength="100" /></label>
          <button class="primary" type="submit">Whitelist</button>
        </form>`;
      return sendHtml(reply, layout(await frameOf(request, deps, 'whitelist', 'Whitelist'), body));
    });

    app.post('/whitelist', async (request, reply) => {
      const form = parseFields(AddForm, formOf(request));
      const entry = await addWhitelistEntry(deps.db, deps.registry, deps.audit, principalOf(request), {
        clientId: form.clientId,
        chain: form.chain,
        address: form.address,
        label: form.label,
      });
      return reply.redirect(consoleUrl(['admin', 'whitelist'], { client: entry.clientId, done: 'added' }), 303);
    });

    app.post('/whitelist/:id/remove', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      parseFields(Empty, formOf(request));
      const entry = await removeWhitelistEntry(deps.db, deps.audit, principalOf(request), id);
      return reply.redirect(consoleUrl(['admin', 'whitelist'], { client: entry.clientId, done: 'removed' }), 303);
    });
  };
}
