import type { AssetRegistry } from '@wallet/assets';
import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { validateAddress } from '@wallet/keys';
import type { AuditFn } from './Audit.js';
import type { Principal } from './Principal.js';
import { requireAdmin, signingControls } from './policyStore.js';

/** A client's whitelisted destination. */
export type WhitelistEntry = {
  readonly id: string;
  readonly clientId: string;
  readonly chain: string;
  readonly address: string;
  readonly label: string | null;
  readonly addedBy: string;
  readonly createdAt: Date;
  /** From when it may be used (the cooling-off after it was added). */
  readonly usableAt: Date;
  readonly removedBy: string | null;
  readonly removedAt: Date | null;
};

/** Whether a destination may be paid under a whitelist: `usable`, added but `cooling_off` (until `usableAt`), `absent`. */
export type WhitelistState =
  | { readonly state: 'usable'; readonly entryId: string }
  | { readonly state: 'cooling_off'; readonly entryId: string; readonly usableAt: Date }
  | { readonly state: 'absent' };

type EntryRow = {
  id: number | string;
  client_id: string;
  chain: string;
  address: string;
  label: string | null;
  added_by: string;
  created_at: Date;
  usable_at: Date;
  removed_by: string | null;
  removed_at: Date | null;
};

function toEntry(r: EntryRow): WhitelistEntry {
  return {
    id: String(r.id),
    clientId: r.client_id,
    chain: r.chain,
    address: r.address,
    label: r.label,
    addedBy: r.added_by,
    createdAt: r.created_at,
    usableAt: r.usable_at,
    removedBy: r.removed_by,
    removedAt: r.removed_at,
  };
}

/**
 * Adds a destination to a client's whitelist, usable after the configured cooling-off (MySQL's clock). The address is
 * validated for its chain and stored in its canonical form (the one withdrawals carry). Admins only; audited.
 * @throws WalletError FORBIDDEN, NOT_FOUND (no such client), UNSUPPORTED_CHAIN, INVALID_ADDRESS, CONFLICT (already listed)
 */
export async function addWhitelistEntry(
  db: Knex,
  registry: AssetRegistry,
  audit: AuditFn,
  by: Principal,
  entry: { readonly clientId: string; readonly chain: string; readonly address: string; readonly label?: string | undefined },
): Promise<WhitelistEntry> {
  requireAdmin(by);
  const chain = registry.chains.get(entry.chain);
  if (!chain) throw new WalletError('UNSUPPORTED_CHAIN', `no chain ${entry.chain}`, { details: { chain: entry.chain } });
  const address = validateAddress(chain.family, chain.network, entry.address);
  const label = entry.label?.trim() || null;
  if (label !== null && label.length > 100) {
    throw new WalletError('VALIDATION_FAILED', 'a label is at most 100 characters', { details: { field: 'label' } });
  }
  try {
    return await withTransaction(db, async (trx) => {
      const client = await trx('clients').where({ id: entry.clientId }).first<{ id: string } | undefined>('id');
      if (!client) throw new WalletError('NOT_FOUND', 'no such client', { details: { clientId: entry.clientId } });
      const { whitelistCoolingOffSeconds } = await signingControls(trx);
      const [id] = await trx('whitelist_entries').insert({
        client_id: entry.clientId,
        chain: chain.id,
        address,
        label,
        added_by: by.id,
        usable_at: trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND', [whitelistCoolingOffSeconds]),
      });
      const row = (await trx<EntryRow>('whitelist_entries').where({ id: id! }).first())!;
      await audit(trx, {
        actor: by.id,
        action: 'whitelist_added',
        subject: entry.clientId,
        details: { entryId: String(id), chain: chain.id, address, label, usableAt: row.usable_at.toISOString() },
      });
      return toEntry(row);
    });
  } catch (error) {
    if (isDuplicateKey(error)) {
      throw new WalletError('CONFLICT', 'this destination is already on the client’s whitelist', {
        details: { clientId: entry.clientId, chain: chain.id, address },
      });
    }
    throw error;
  }
}

/**
 * Removes an entry (it stays, marked removed, for the record). Admins only; audited.
 * @throws WalletError FORBIDDEN, NOT_FOUND (no such live entry)
 */
export async function removeWhitelistEntry(db: Knex, audit: AuditFn, by: Principal, entryId: string): Promise<WhitelistEntry> {
  requireAdmin(by);
  return withTransaction(db, async (trx) => {
    const row = await trx<EntryRow>('whitelist_entries').where({ id: entryId }).whereNull('removed_at').forUpdate().first();
    if (!row) throw new WalletError('NOT_FOUND', 'no such whitelist entry', { details: { entryId } });
    await trx('whitelist_entries')
      .where({ id: entryId })
      .update({ removed_by: by.id, removed_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    await audit(trx, {
      actor: by.id,
      action: 'whitelist_removed',
      subject: row.client_id,
      details: { entryId, chain: row.chain, address: row.address },
    });
    return toEntry((await trx<EntryRow>('whitelist_entries').where({ id: entryId }).first())!);
  });
}

/** A client's live entries (or every client's), newest first. */
export async function listWhitelist(db: Knex, filter: { readonly clientId?: string | undefined } = {}): Promise<WhitelistEntry[]> {
  const q = db<EntryRow>('whitelist_entries').whereNull('removed_at').orderBy('id', 'desc').limit(500);
  if (filter.clientId !== undefined) void q.where({ client_id: filter.clientId });
  return (await q).map(toEntry);
}

/**
 * Where a destination stands on its client's whitelist, by MySQL's clock (read in the deciding transaction).
 * @param to the destination in its canonical form (as the withdrawal row has it)
 */
export async function whitelistState(db: Knex, clientId: string, chain: string, to: string): Promise<WhitelistState> {
  const [rows] = (await db.raw(
    `SELECT id, usable_at, usable_at <= CURRENT_TIMESTAMP(3) AS usable FROM whitelist_entries
      WHERE client_id = ? AND chain = ? AND address = ? AND removed_at IS NULL LOCK IN SHARE MODE`,
    [clientId, chain, to],
  )) as [{ id: number | string; usable_at: Date; usable: number }[]];
  const r = rows[0];
  if (!r) return { state: 'absent' };
  return r.usable ? { state: 'usable', entryId: String(r.id) } : { state: 'cooling_off', entryId: String(r.id), usableAt: r.usable_at };
}
