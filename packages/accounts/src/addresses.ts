import { type Db, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { decodeCursor, encodeCursor } from '@wallet/ids';

export type DepositAddress = {
  readonly id: string;
  readonly chain: string;
  readonly address: string;
  readonly index: number;
  readonly path: string;
  readonly accountId: string;
  readonly createdAt: Date;
};

/** Derives the deposit address at `index` on `chain` from that chain's extended public key. */
export type DeriveAddress = (chain: string, index: number) => { address: string; path: string };

type AddressRow = {
  id: string;
  chain: string;
  address: string;
  derivation_index: string;
  path: string;
  account_id: string;
  client_id: string;
  idempotency_key: string | null;
  created_at: Date;
};

const fromRow = (r: AddressRow): DepositAddress => ({
  id: String(r.id),
  chain: r.chain,
  address: r.address,
  index: Number(r.derivation_index),
  path: r.path,
  accountId: r.account_id,
  createdAt: r.created_at,
});

/** BIP32 non-hardened indexes stop at 2^31 - 1. */
const MAX_INDEX = 2 ** 31 - 1;

/**
 * Allocates the next index of `chain` from its MySQL counter (atomic: the counter row stays locked
 * until the address row is committed, so no index is handed out twice or skipped by a rollback),
 * derives the address and stores it. With an idempotency key, a retry returns the same address.
 *
 * @throws WalletError IDEMPOTENCY_KEY_REUSED when the key was used for another account or chain
 */
export async function createAddress(
  db: Db,
  derive: DeriveAddress,
  req: { clientId: string; accountId: string; chain: string; idempotencyKey?: string | undefined },
): Promise<{ address: DepositAddress; created: boolean }> {
  const replay = async (): Promise<{ address: DepositAddress; created: boolean } | undefined> => {
    if (!req.idempotencyKey) return undefined;
    const row = await db<AddressRow>('addresses').where({ client_id: req.clientId, idempotency_key: req.idempotencyKey }).first();
    if (!row) return undefined;
    if (row.account_id !== req.accountId || row.chain !== req.chain) {
      throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
    }
    return { address: fromRow(row), created: false };
  };
  const earlier = await replay();
  if (earlier) return earlier;
  try {
    return await withTransaction(db, async (trx) => {
      // One statement that takes the counter row's exclusive lock at once. (INSERT IGNORE then UPDATE took a shared
      // lock first: concurrent requests each held it and waited for the others' to upgrade, a deadlock.) On the
      // insert path LAST_INSERT_ID(1) is the value; on the duplicate path the UPDATE's LAST_INSERT_ID is set last.
      await trx.raw(
        'INSERT INTO address_counters (chain, next_index) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE next_index = LAST_INSERT_ID(next_index + 1)',
        [req.chain],
      );
      const [[{ next }]] = (await trx.raw('SELECT LAST_INSERT_ID() AS next')) as [[{ next: string }]];
      const index = Number(next) - 1;
      if (index > MAX_INDEX) throw new WalletError('INTERNAL', `address space of ${req.chain} exhausted`);
      const { address, path } = derive(req.chain, index);
      const createdAt = new Date();
      const [id] = await trx('addresses').insert({
        chain: req.chain,
        address,
        derivation_index: index,
        path,
        account_id: req.accountId,
        client_id: req.clientId,
        idempotency_key: req.idempotencyKey ?? null,
        created_at: createdAt,
      });
      return { address: { id: String(id), chain: req.chain, address, index, path, accountId: req.accountId, createdAt }, created: true };
    });
  } catch (error) {
    if (isDuplicateKey(error)) {
      const winner = await replay();
      if (winner) return winner;
    }
    throw error;
  }
}

/** One page of an account's deposit addresses, newest first. */
export async function listAddresses(
  db: Db,
  accountId: string,
  options: { chain?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ addresses: DepositAddress[]; nextCursor: string | null }> {
  const query = db<AddressRow>('addresses')
    .where({ account_id: accountId })
    .orderBy('id', 'desc')
    .limit(options.limit + 1);
  if (options.chain) void query.andWhere({ chain: options.chain });
  if (options.cursor) void query.andWhere('id', '<', decodeCursor(options.cursor));
  const rows = await query;
  const page = rows.slice(0, options.limit);
  return {
    addresses: page.map(fromRow),
    nextCursor: rows.length > options.limit ? encodeCursor(String(page[page.length - 1]!.id)) : null,
  };
}

/**
 * Which account a deposit address belongs to (the chain scanner's question).
 * @param address in the form it is stored, deriveAddress's canonical one (EIP-55 for EVM, lower-case bech32 for
 * BTC/LTC): addresses compare byte-exact (utf8mb4_bin), so an EVM address in another case is not found
 */
export async function accountOfAddress(db: Db, chain: string, address: string): Promise<string | undefined> {
  const row = await db<AddressRow>('addresses').where({ chain, address }).first('account_id');
  return row?.account_id;
}
