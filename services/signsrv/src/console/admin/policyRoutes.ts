import { validationFailed, parseInput } from '@wallet/http-edge';
import { type AssetPolicy, listPolicies, setPolicy } from '@wallet/payout';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatUnits, parseUnits } from '../assetUnits.js';
import type { ConsoleDeps } from '../ConsoleDeps.js';
import { formOf, frameOf, principalOf, sessionOf } from '../consoleRequest.js';
import { consoleUrl } from '../consoleUrl.js';
import { type SafeHtml, html } from '../html.js';
import { banner, csrfField, formatTime, layout, sendHtml } from '../layout.js';
import { parseFields } from '../readForm.js';
import { formatAmount } from '../riskView.js';

const Params = z.object({ asset: z.string().regex(/^[A-Z][A-Z0-9]{1,15}$/, 'an asset id') }).strict();
const Amount = z.string().trim().max(80).optional();
/** The policy form: amounts in the asset's unit (empty: no such rule). */
const PolicyForm = z
  .object({
    autoApproveBelow: Amount,
    singleApprovalUpTo: Amount,
    approvers: z.string().regex(/^[0-9]{1,2}$/, 'a whole number'),
    accountDaily: Amount,
    clientDaily: Amount,
    requireWhitelist: z.literal('on').optional(),
    holdSeconds: z.string().regex(/^[0-9]{1,7}$/, 'whole seconds'),
  })
  .strict();
const PoliciesQuery = z.object({ done: Params.shape.asset.optional() }).strict();
const AMOUNT_RULES = ['autoApproveBelow', 'singleApprovalUpTo', 'accountDaily', 'clientDaily'] as const;

/**
 * Approval policies per asset (admins only): each listed asset's current rules (the default until someone sets them)
 * and a form to set new ones; every change is a new version, audited (@wallet/payout's setPolicy validates them).
 */
export function policyRoutes(deps: ConsoleDeps) {
  function policyForm(session: Parameters<typeof csrfField>[0], asset: string, policy: AssetPolicy | undefined): SafeHtml {
    const decimals = deps.registry.assets.get(asset)?.decimals ?? 0;
    const rules = policy?.rules;
    const amount = (name: (typeof AMOUNT_RULES)[number], label: string, hint: string) => {
      const value = rules?.[name];
      return html`<label
        >${label} <span class="hint">${hint}</span
        ><input
          name="${name}"
          inputmode="decimal"
          maxlength="80"
          value="${value === undefined ? '' : formatUnits(value, decimals).replace(/\u2009/g, '')}"
          placeholder="no such rule"
      /></label>`;
    };
    const describe = (value: bigint | undefined) => (value === undefined ? '—' : formatAmount(deps.registry, asset, value));
    return html`<section class="card" data-asset="${asset}">
      <h2>${asset}</h2>
      <p class="muted" data-testid="policy-summary">
        ${
          policy
            ? html`Version ${policy.id} by ${policy.createdBy}, ${formatTime(policy.createdAt)}: auto below
              ${describe(rules?.autoApproveBelow)}, one approver up to ${describe(rules?.singleApprovalUpTo)}, then ${rules?.approvers}; 24
              h: account ${describe(rules?.accountDaily)}, client ${describe(rules?.clientDaily)}; whitelist
              ${rules?.requireWhitelist ? 'required' : 'not required'}; hold ${rules?.holdSeconds} s.`
            : 'The default: one approver for every amount, nothing automatic, no whitelist.'
        }
      </p>
      <form class="stack" method="post" action="${consoleUrl(['admin', 'policies', asset])}">
        ${csrfField(session)}
        ${amount('autoApproveBelow', 'Auto-approve below', 'in ' + asset + '; still subject to velocity and whitelist')}
        ${amount('singleApprovalUpTo', 'One approver up to', 'in ' + asset + '; above it, the approvers below')}
        <label
          >Approvers above that <span class="hint">distinct auditors, 2 to 10</span
          ><input name="approvers" inputmode="numeric" maxlength="2" value="${rules?.approvers ?? 2}"
        /></label>
        ${amount('accountDaily', 'Account limit over 24 h', 'above it: never automatic, and all approvers')}
        ${amount('clientDaily', 'Client limit over 24 h', 'above it: never automatic, and all approvers')}
        <label class="check"
          ><input type="checkbox" name="requireWhitelist" ${rules?.requireWhitelist ? html` checked` : ''} /> Only whitelisted destinations,
          past their cooling-off</label
        >
        <label
          >Hold after the final approval <span class="hint">seconds; the client can still cancel meanwhile</span
          ><input name="holdSeconds" inputmode="numeric" maxlength="7" value="${rules?.holdSeconds ?? 0}"
        /></label>
        <button class="primary" type="submit">Save ${asset} policy</button>
      </form>
    </section>`;
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.get('/policies', async (request, reply) => {
      const { done } = parseInput(PoliciesQuery, request.query, 'query');
      const policies = new Map((await listPolicies(deps.db)).map((p) => [p.asset, p]));
      const assets = [...new Set([...deps.registry.assets.keys(), ...policies.keys()])];
      const session = sessionOf(request);
      const body = html`<h1>Policies</h1>
        ${done ? banner('ok', `The ${done} policy is saved.`) : ''}
        <p class="muted">Each change is a new version in the audit log; a withdrawal records the version that decided it.</p>
        <div class="grid">${assets.map((a) => policyForm(session, a, policies.get(a)))}</div>`;
      return sendHtml(reply, layout(await frameOf(request, deps, 'policies', 'Policies'), body));
    });

    app.post('/policies/:asset', async (request, reply) => {
      const { asset } = parseInput(Params, request.params, 'params');
      const spec = deps.registry.assets.get(asset);
      if (!spec) throw validationFailed([{ field: 'asset', message: 'not a listed asset' }]);
      const form = parseFields(PolicyForm, formOf(request));
      const rules: Record<string, unknown> = {
        approvers: Number(form.approvers),
        requireWhitelist: form.requireWhitelist === 'on',
        holdSeconds: Number(form.holdSeconds),
      };
      for (const name of AMOUNT_RULES) {
        const text = form[name];
        if (text !== undefined && text !== '') rules[name] = parseUnits(text, spec.decimals, name).toString();
      }
      await setPolicy(deps.db, deps.audit, principalOf(request), asset, rules);
      return reply.redirect(consoleUrl(['admin', 'policies'], { done: asset }), 303);
    });
  };
}
