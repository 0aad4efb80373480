import { type Db, isDuplicateKey, keysetPage, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type ListOrder, decodeListCursor, encodeListCursor, newId } from '@wallet/ids';

export type Account = {
  readonly id: string;
  readonly clientId: string;
  readonly externalId: string;
  readonly nodeId: string;
  readonly createdAt: Date;
};

type AccountRow = {
  id: string;
  client_id: string;
  external_id: string;
  node_id: string;
  created_at: Date;
  create_idempotency_key?: string | null;
};

const fromRow = (r: AccountRow): Account => ({
  id: r.id,
  clientId: r.client_id,
  externalId: r.external_id,
  nodeId: r.node_id,
  createdAt: r.created_at,
});

/**
 * Creates the client's account for `externalId`, or returns the one it already has. A new account is
 * bound for life to the live, active transrv node with the fewest bound accounts, so a node added
 * later attracts new accounts until the loads even out; draining nodes get none.
 *
 * The candidate node rows are locked (`FOR UPDATE`) while the least-loaded one is chosen and its count
 * incremented, so concurrent creations spread evenly instead of all picking the same node.
 *
 * @param liveNodes node ids registered in etcd right now
 * @throws WalletError UNAVAILABLE when no live, active node exists
 */
export async function createAccount(
  db: Db,
  clientId: string,
  externalId: string,
  liveNodes: readonly string[],
  idempotencyKey = '',
): Promise<{ account: Account; created: boolean }> {
  // A retry of the request that created the account (same Idempotency-Key) answers as that request did: created.
  const createdBy = (row: AccountRow) => idempotencyKey !== '' && row.create_idempotency_key === idempotencyKey;
  const existing = await db<AccountRow>('accounts').where({ client_id: clientId, external_id: externalId }).first();
  if (existing) return { account: fromRow(existing), created: createdBy(existing) };
  try {
    return await withTransaction(db, async (trx) => {
      const client = await trx('clients').where({ id: clientId }).first<{ status: string } | undefined>('status');
      if (!client || client.status !== 'active') throw new WalletError('UNAUTHENTICATED', 'client is not active');
      const candidates = liveNodes.length
        ? await trx('transrv_nodes')
            .whereIn('node_id', liveNodes)
            .andWhere({ state: 'active' })
            .forUpdate()
            .select<{ node_id: string; bound_accounts: string }[]>('node_id', 'bound_accounts')
        : [];
      const chosen = candidates
        .map((c) => ({ nodeId: c.node_id, load: BigInt(c.bound_accounts) }))
        .sort((a, b) => (a.load < b.load ? -1 : a.load > b.load ? 1 : a.nodeId.localeCompare(b.nodeId)))[0];
      if (!chosen) throw new WalletError('UNAVAILABLE', 'no live transrv node accepts new accounts');
      const row: AccountRow = {
        id: newId('acc'),
        client_id: clientId,
        external_id: externalId,
        node_id: chosen.nodeId,
        created_at: new Date(),
        create_idempotency_key: idempotencyKey === '' ? null : idempotencyKey,
      };
      await trx('accounts').insert(row);
      await trx('transrv_nodes').where({ node_id: chosen.nodeId }).increment('bound_accounts', 1);
      return { account: fromRow(row), created: true };
    });
  } catch (error) {
    // The same external id created concurrently: the other request won; answer with its account.
    if (isDuplicateKey(error)) {
      const winner = await db<AccountRow>('accounts').where({ client_id: clientId, external_id: externalId }).first();
      if (winner) return { account: fromRow(winner), created: createdBy(winner) };
    }
    throw error;
  }
}

/**
 * An account of `clientId` (any client when clientId is empty: ops tools).
 * @throws WalletError ACCOUNT_NOT_FOUND, also for another client's account (never a 403)
 */
export async function getAccount(db: Db, clientId: string, accountId: string): Promise<Account> {
  const row = await db<AccountRow>('accounts').where({ id: accountId }).first();
  if (!row || (clientId !== '' && row.client_id !== clientId)) {
    throw new WalletError('ACCOUNT_NOT_FOUND', 'no such account', { details: { accountId } });
  }
  return fromRow(row);
}

/** The list kind in account cursors: a cursor of another list is refused. */
const CURSOR_KIND = 'acc';

/**
 * One page of a client's accounts in (created_at, id) order, newest first unless `order` is `asc`: one ordered range
 * read of the index accounts (client_id, created_at), never a sort of the client's accounts. With `externalId`, the
 * account with that external id, compared byte for byte (utf8mb4_bin), or none (the unique key answers it).
 * @param cursor a previous page's nextCursor, in the same order
 * @throws WalletError VALIDATION_FAILED for a cursor this list did not make, or made in the other order
 */
export async function listAccounts(
  db: Db,
  clientId: string,
  options: { externalId?: string | undefined; order: ListOrder; limit: number; cursor?: string | undefined },
): Promise<{ accounts: Account[]; nextCursor: string | null }> {
  const { order, limit } = options;
  const after = options.cursor === undefined ? undefined : decodeListCursor(CURSOR_KIND, order, options.cursor);
  const read = db('accounts as a')
    .select('a.id', 'a.client_id', 'a.external_id', 'a.node_id', 'a.created_at')
    .where('a.client_id', clientId);
  if (options.externalId !== undefined) void read.andWhere('a.external_id', options.externalId);
  const { rows, more } = await keysetPage<AccountRow>([read], { alias: 'a', order, limit, after });
  const last = rows.at(-1);
  return {
    accounts: rows.map(fromRow),
    nextCursor: more && last ? encodeListCursor(CURSOR_KIND, order, { createdAt: last.created_at, id: last.id }) : null,
  };
}
