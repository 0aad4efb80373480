import type { AssetRegistry } from '@wallet/assets';
import type { ReviewRisk, ReviewView, RiskFlag } from '@wallet/payout';
import { formatUnits } from './assetUnits.js';
import { consoleUrl } from './consoleUrl.js';
import { type SafeHtml, html } from './html.js';
import { formatTime } from './layout.js';

/** What each risk flag says to a reviewer: a short badge and the sentence behind it. */
export const FLAG_TEXT: Readonly<Record<RiskFlag, { readonly label: string; readonly text: string }>> = {
  new_destination: { label: 'new destination', text: 'This client was never paid at this address before.' },
  contract: { label: 'contract', text: 'The destination is a contract: it may refuse or forward what it is sent.' },
  destination_unchecked: {
    label: 'not checked',
    text: 'Whether the destination is a contract is not known yet (the node was not reachable).',
  },
  other_clients: { label: 'used by another client', text: 'Another client has withdrawn to this address too.' },
  internal: { label: 'internal', text: 'A deposit address of this wallet: settled in the ledger, nothing is sent on chain.' },
  not_whitelisted: { label: 'not whitelisted', text: "The destination is not on the client's whitelist." },
  whitelist_cooling_off: { label: 'whitelist cooling off', text: 'The destination was whitelisted recently and is not usable yet.' },
  client_disabled: {
    label: 'client disabled',
    text: 'The client is disabled: an approved withdrawal of it is not signed until it is enabled.',
  },
  account_velocity: { label: 'account over 24 h limit', text: "The account's withdrawals in the last 24 h exceed the policy's limit." },
  client_velocity: { label: 'client over 24 h limit', text: "The client's withdrawals in the last 24 h exceed the policy's limit." },
  multi_approval: { label: 'several approvers', text: 'The policy asks for more than one approver.' },
  stale_approvals: { label: 'stale approvals', text: 'Some approvals were given to another version of this withdrawal and do not count.' },
};

/** An amount with its asset: `0.2 ETH` (base units when the asset is not listed). */
export function formatAmount(registry: AssetRegistry, asset: string, amount: bigint): string {
  const spec = registry.assets.get(asset);
  return spec ? `${formatUnits(amount, spec.decimals)} ${asset}` : `${amount} (base units of ${asset})`;
}

/** The risk flags as badges (each with its sentence as a tooltip). */
export function flagBadges(risk: ReviewRisk | undefined): SafeHtml {
  if (!risk || risk.flags.length === 0) return html`<span class="badge ok">no flags</span>`;
  return html`${risk.flags.map(
    (f) =>
      html`<span class="badge ${f.severity}" data-flag="${f.flag}" title="${FLAG_TEXT[f.flag].text}">${FLAG_TEXT[f.flag].label}</span>`,
  )}`;
}

/** The destination's place on the client's whitelist, in words. */
export function whitelistText(risk: ReviewRisk): string {
  const w = risk.destination.whitelist;
  const required = risk.destination.whitelistRequired ? ' (required by the policy)' : '';
  if (w.state === 'usable') return `whitelisted${required}`;
  if (w.state === 'cooling_off') return `whitelisted, usable from ${formatTime(w.usableAt)}${required}`;
  return `not whitelisted${required}`;
}

/** The status as clients see it, styled. */
export function statusBadge(status: string): SafeHtml {
  return html`<span class="status status-${status}" data-testid="status">${status.replace('_', ' ')}</span>`;
}

/** Approvals so far of what the policy asks: `1 of 2 (user:ann)`. */
export function approvalsText(view: ReviewView, risk: ReviewRisk | undefined): SafeHtml {
  const counted = view.approvals.filter((a) => a.counts);
  const required = view.requiredApprovals ?? risk?.requirement.approvals ?? 1;
  const who = counted.map((a) => a.approver.replace(/^user:/, '')).join(', ');
  return html`<span data-testid="approvals">${counted.length} of ${Math.max(1, required)}</span
    >${who ? html`<span class="sub">${who}</span>` : ''}`;
}

/** The 24 h velocity of account and client, against the policy's limits where it has them. */
export function velocityText(registry: AssetRegistry, asset: string, risk: ReviewRisk): SafeHtml {
  const rules = risk.policy.rules;
  const limit = (value: bigint | undefined) => (value === undefined ? '' : ` of ${formatAmount(registry, asset, value)}`);
  return html`<span>account ${formatAmount(registry, asset, risk.velocity.account)}${limit(rules.accountDaily)}</span>
    <span class="sub">client ${formatAmount(registry, asset, risk.velocity.client)}${limit(rules.clientDaily)}</span>`;
}

/** The account's recent deposits and withdrawals in the asset. */
export function activityText(registry: AssetRegistry, asset: string, risk: ReviewRisk): SafeHtml {
  const a = risk.account;
  return html`<span>${a.deposits.count} deposits, ${formatAmount(registry, asset, a.deposits.total)}</span>
    <span class="sub"
      >${a.withdrawals.count} other withdrawals, ${formatAmount(registry, asset, a.withdrawals.total)} (${a.recentDays} d)</span
    >`;
}

/** A link to a withdrawal's page. */
export function withdrawalLink(id: string): SafeHtml {
  return html`<a href="${consoleUrl(['withdrawals', id])}" class="mono">${id}</a>`;
}
