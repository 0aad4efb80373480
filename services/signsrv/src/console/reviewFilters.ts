import type { AssetRegistry } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import { validationFailed } from '@wallet/http-edge';
import { ObjectId } from '@wallet/ids';
import type { DecidedFilter, QueueFilter } from '@wallet/payout';
import { withdrawalStatuses } from '@wallet/withdrawal-protocol';
import { z } from 'zod';
import { parseUnits } from './assetUnits.js';
import { type SafeHtml, html } from './html.js';

/** An empty form field is an absent one. */
const optional = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** The review queue's filters as a GET query (what the filter form sends). Amounts are in the asset's unit. */
export const QueueQuery = z
  .object({
    client: optional(ObjectId),
    account: optional(ObjectId),
    asset: optional(z.string().regex(/^[A-Z][A-Z0-9]{1,15}$/, 'an asset id')),
    min: optional(z.string().max(80)),
    max: optional(z.string().max(80)),
    /** Minutes since signsrv received it. */
    minAge: optional(
      z
        .string()
        .regex(/^[0-9]{1,6}$/, 'whole minutes')
        .transform(Number),
    ),
    after: optional(ObjectId),
  })
  .strict();
export type QueueQuery = z.infer<typeof QueueQuery>;

/** History's filters: the queue's plus the decision and its outcome. */
export const DecidedQuery = QueueQuery.omit({ after: true })
  .extend({
    decision: optional(z.enum(['approved', 'rejected', 'voided'])),
    status: optional(z.enum(withdrawalStatuses as [string, ...string[]])),
    decidedBy: optional(z.string().max(100)),
    to: optional(z.string().max(128)),
    before: optional(ObjectId),
  })
  .strict();
export type DecidedQuery = z.infer<typeof DecidedQuery>;

/**
 * The review desk's filter of a query: amounts turned into base units with the asset's decimals.
 * @throws WalletError VALIDATION_FAILED for an amount without an asset, an unknown asset, a malformed amount
 */
export function queueFilterOf(registry: AssetRegistry, q: QueueQuery): QueueFilter {
  const spec = q.asset === undefined ? undefined : registry.assets.get(q.asset);
  if (q.asset !== undefined && !spec) throw validationFailed([{ field: 'asset', message: 'not a listed asset' }]);
  if ((q.min !== undefined || q.max !== undefined) && !spec) {
    throw validationFailed([{ field: 'asset', message: 'choose an asset to filter by amount' }]);
  }
  const amount = (text: string | undefined, field: string) => (text === undefined ? undefined : parseUnits(text, spec!.decimals, field));
  return {
    clientId: q.client,
    accountId: q.account,
    asset: q.asset,
    minAmount: amount(q.min, 'min'),
    maxAmount: amount(q.max, 'max'),
    minAgeSeconds: q.minAge === undefined ? undefined : q.minAge * 60,
  };
}

/** {@link queueFilterOf} plus the decision's filters. */
export function decidedFilterOf(registry: AssetRegistry, q: DecidedQuery): DecidedFilter {
  return {
    ...queueFilterOf(registry, q),
    decision: q.decision,
    status: q.status as DecidedFilter['status'],
    decidedBy: q.decidedBy,
    to: q.to,
  };
}

/** A client for the pickers: id, name, whether disabled. */
export type ClientChoice = { readonly id: string; readonly name: string; readonly disabled: boolean };

/** The clients, by name, for the filter and whitelist pickers (accountsrv's table: id, name and status only). */
export async function clientChoices(db: Knex): Promise<ClientChoice[]> {
  const rows = await db('clients')
    .orderBy('name')
    .limit(1000)
    .select<{ id: string; name: string; status: string }[]>('id', 'name', 'status');
  return rows.map((r) => ({ id: r.id, name: r.name, disabled: r.status === 'disabled' }));
}

/** `<option>`s of the clients, `selected` on the current one. */
export function clientOptions(clients: readonly ClientChoice[], selected: string | undefined, empty = 'any client'): SafeHtml {
  return html`<option value="">${empty}</option>
    ${clients.map(
      (c) =>
        html`<option value="${c.id}" ${c.id === selected ? html` selected` : ''}>
          ${c.name}${c.disabled ? ' (disabled)' : ''} · ${c.id}
        </option>`,
    )}`;
}

/** `<option>`s of the listed assets. */
export function assetOptions(registry: AssetRegistry, selected: string | undefined, empty = 'any asset'): SafeHtml {
  return html`<option value="">${empty}</option>
    ${[...registry.assets.keys()].map((a) => html`<option value="${a}" ${a === selected ? html` selected` : ''}>${a}</option>`)}`;
}

/** The filter fields the queue and history share. */
export function commonFilterFields(registry: AssetRegistry, clients: readonly ClientChoice[], q: Partial<QueueQuery>): SafeHtml {
  return html`<label
      >Client
      <select name="client">
        ${clientOptions(clients, q.client)}
      </select></label
    >
    <label>Account <input name="account" value="${q.account ?? ''}" maxlength="64" placeholder="account id" /></label>
    <label
      >Asset
      <select name="asset">
        ${assetOptions(registry, q.asset)}
      </select></label
    >
    <label>Min amount <input name="min" value="${q.min ?? ''}" inputmode="decimal" maxlength="80" placeholder="in the asset" /></label>
    <label>Max amount <input name="max" value="${q.max ?? ''}" inputmode="decimal" maxlength="80" placeholder="in the asset" /></label>
    <label
      >Waiting at least <input name="minAge" value="${q.minAge ?? ''}" inputmode="numeric" maxlength="6" placeholder="minutes"
    /></label>`;
}
