import { parseInput } from '@wallet/http-edge';
import { assetHalts, releaseAsset, setControls, setPaused, signingControls } from '@wallet/payout';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from '../ConsoleDeps.js';
import { formOf, frameOf, principalOf, sessionOf } from '../consoleRequest.js';
import { consoleUrl } from '../consoleUrl.js';
import { html } from '../html.js';
import { banner, csrfField, formatTime, layout, sendHtml } from '../layout.js';
import { parseFields } from '../readForm.js';

const DONE = {
  paused: 'Signing is paused: nothing is signed until it is resumed.',
  resumed: 'Signing is resumed.',
  automation: 'The automation setting is saved.',
  cooling: 'The cooling-off is saved (for entries added from now on).',
  released: 'Signing of the asset is released; reconciliation halts it again on its next pass if it is still short.',
} as const;
const AssetParams = z.object({ asset: z.string().regex(/^[A-Za-z0-9_.-]{1,16}$/, 'an asset id') }).strict();
const ControlsQuery = z.object({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }).strict();
const SwitchForm = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(200) }).strict();
const AutomationForm = z.object({ automationEnabled: z.enum(['on', 'off']) }).strict();
const CoolingForm = z
  .object({
    whitelistCoolingOffSeconds: z
      .string()
      .regex(/^[0-9]{1,7}$/, 'whole seconds')
      .transform(Number),
  })
  .strict();

/**
 * The signing controls (admins only): the kill switch (pause and resume, each with a reason: while paused nothing is
 * signed), whether the bearer-token automation API may decide, and the whitelist's cooling-off. Each change is
 * @wallet/payout's, audited.
 */
export function controlsRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/controls', async (request, reply) => {
      const { done } = parseInput(ControlsQuery, request.query, 'query');
      const c = await signingControls(deps.db);
      const halted = (await assetHalts(deps.db)).filter((h) => h.halted);
      const csrf = csrfField(sessionOf(request));
      const body = html`<h1>Signing controls</h1>
        ${done ? banner('ok', DONE[done]) : ''}
        <div class="grid">
          <section class="card" data-testid="kill-switch">
            <h2>Kill switch</h2>
            <p data-testid="signing-state">
              ${
                c.paused
                  ? html`<span class="badge block">paused</span> by ${c.pausedBy} at ${formatTime(c.pausedAt)}: ${c.pauseReason}`
                  : html`<span class="badge ok">signing</span>`
              }
            </p>
            <form class="stack" method="post" action="${consoleUrl(['admin', 'controls', c.paused ? 'resume' : 'pause'])}">
              ${csrf}
              <label>Reason <textarea name="reason" required maxlength="200"></textarea></label>
              ${c.paused ? html`<button class="primary" type="submit">Resume signing</button>` : html`<button class="danger" type="submit">Pause all signing</button>`}
            </form>
          </section>
          <section class="card" data-testid="asset-halts">
            <h2>Assets halted</h2>
            ${
              halted.length === 0
                ? html`<p><span class="badge ok">none</span> every asset signs (reconciliation halts one whose holdings fall short)</p>`
                : halted.map(
                    (h) =>
                      html`<p data-testid="asset-halt">
                          <span class="badge block">${h.asset} halted</span> by ${h.haltedBy} at ${formatTime(h.haltedAt)}: ${h.reason}
                        </p>
                        <form class="stack" method="post" action="${consoleUrl(['admin', 'controls', 'assets', h.asset, 'release'])}">
                          ${csrf}
                          <label>Reason <textarea name="reason" required maxlength="200"></textarea></label>
                          <button class="primary" type="submit">Release ${h.asset}</button>
                        </form>`,
                  )
            }
          </section>
          <section class="card">
            <h2>Automation API</h2>
            <p>
              Bearer tokens may decide withdrawals (under the same policies):
              <strong data-testid="automation-state">${c.automationEnabled ? 'on' : 'off'}</strong>
            </p>
            <form class="stack" method="post" action="${consoleUrl(['admin', 'controls', 'automation'])}">
              ${csrf}
              <input type="hidden" name="automationEnabled" value="${c.automationEnabled ? 'off' : 'on'}" />
              <button type="submit">${c.automationEnabled ? 'Switch the automation API off' : 'Switch the automation API on'}</button>
            </form>
          </section>
          <section class="card">
            <h2>Whitelist cooling-off</h2>
            <form class="stack" method="post" action="${consoleUrl(['admin', 'controls', 'cooling-off'])}">
              ${csrf}
              <label
                >Seconds before a new whitelist entry may be used <span class="hint">0 to 2592000 (30 days)</span>
                <input name="whitelistCoolingOffSeconds" inputmode="numeric" maxlength="7" value="${c.whitelistCoolingOffSeconds}"
              /></label>
              <button type="submit">Save</button>
            </form>
          </section>
        </div>`;
      return sendHtml(reply, layout(await frameOf(request, deps, 'controls', 'Signing controls'), body));
    });

    for (const paused of [true, false]) {
      app.post(`/controls/${paused ? 'pause' : 'resume'}`, async (request, reply) => {
        const { reason } = parseFields(SwitchForm, formOf(request));
        await setPaused(deps.db, deps.audit, principalOf(request), paused, reason);
        return reply.redirect(consoleUrl(['admin', 'controls'], { done: paused ? 'paused' : 'resumed' }), 303);
      });
    }

    // An asset halted by reconciliation (or an admin) is released by an admin only, with a reason (audited).
    app.post('/controls/assets/:asset/release', async (request, reply) => {
      const { asset } = parseInput(AssetParams, request.params, 'params');
      const { reason } = parseFields(SwitchForm, formOf(request));
      await releaseAsset(deps.db, deps.audit, principalOf(request), asset, reason);
      return reply.redirect(consoleUrl(['admin', 'controls'], { done: 'released' }), 303);
    });

    app.post('/controls/automation', async (request, reply) => {
      const { automationEnabled } = parseFields(AutomationForm, formOf(request));
      await setControls(deps.db, deps.audit, principalOf(request), { automationEnabled: automationEnabled === 'on' });
      return reply.redirect(consoleUrl(['admin', 'controls'], { done: 'automation' }), 303);
    });

    app.post('/controls/cooling-off', async (request, reply) => {
      const { whitelistCoolingOffSeconds } = parseFields(CoolingForm, formOf(request));
      await setControls(deps.db, deps.audit, principalOf(request), { whitelistCoolingOffSeconds });
      return reply.redirect(consoleUrl(['admin', 'controls'], { done: 'cooling' }), 303);
    });
  };
}
