import { type AssetSpec, type ChainSpec, MAX_DECIMAL65 } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import { type SumLeaf, accountCommitment, buildSumTree } from '@wallet/reserves';

/** An address the wallet holds, as a report lists it next to the liabilities. */
export type ReserveHolding = {
  readonly chain: string;
  readonly address: string;
  /**
   * What the address is to the wallet: `hot` (a hot wallet), `deposit`, `fee` (fee-payer and sweep wallets), `cold`
   * (watched: its keys are not here), `wallet` (UTXO chains: the wallet's own change and main addresses).
   */
  readonly kind: 'hot' | 'deposit' | 'fee' | 'cold' | 'wallet';
  /** The asset's balance on the address as the chain's node answered; null: not asked. */
  readonly balance: bigint | null;
};

/** A stored report, as `walletctl reserves report` prints it. */
export type ReserveReport = {
  readonly id: string;
  readonly asset: string;
  readonly root: string;
  readonly total: bigint;
  readonly leafCount: number;
  readonly holdings: readonly ReserveHolding[];
  /** The sum of the holdings' balances when every one was read; null otherwise. */
  readonly holdingsTotal: bigint | null;
  readonly createdAt: Date;
};

/** Options of {@link buildReserveReport}. */
export type BuildReserveReportOptions = {
  readonly asset: AssetSpec;
  readonly chain: ChainSpec;
  /**
   * Reads the asset's balance of one held address from the chain, after the snapshot (null: cannot say). Without it
   * the holdings are listed with no balance. @default none
   */
  readonly balanceOf?: (holding: Omit<ReserveHolding, 'balance'>) => Promise<bigint | null>;
};

/** Balance reads sent to the chain's node at once. */
const BALANCE_READS_IN_FLIGHT = 16;
/** Rows per INSERT: keeps each statement well under max_allowed_packet. */
const INSERT_CHUNK = 1000;

/**
 * Builds and stores a proof-of-reserves report of one asset (docs/reserves.md): a Merkle sum tree of what the exchange
 * owes each account, with the addresses held next to it.
 *
 * The liabilities are read in one REPEATABLE READ transaction, so every balance and every transfer in transit comes
 * from one snapshot of the ledger: a transfer committed during the build is either wholly in it or wholly out of it,
 * and the total is exactly what the ledger owed the users at one instant. An account's liability is `available +
 * frozen` (frozen is held for its withdrawals in flight: still owed until they are paid) plus the cross-node transfers
 * still in transit to it (debited from the sender, not yet credited: owed to the receiver). Pending deposits are not
 * owed yet. Leaves are in account id order.
 *
 * The report, its leaves, its nodes and its holdings are written in a second transaction, all or nothing.
 * @throws WalletError VALIDATION_FAILED (`details.reason` `no_liabilities`) when no account holds the asset;
 *   INTERNAL when the ledger holds a negative liability or an account without a client
 */
export async function buildReserveReport(db: Knex, options: BuildReserveReportOptions): Promise<ReserveReport> {
  const { asset, chain } = options;
  const snapshot = await db.transaction(
    async (trx) => {
      const [owed] = (await trx.raw(
        `SELECT x.account_id, CAST(SUM(x.owed) AS CHAR) AS owed, c.reserve_salt AS salt
         FROM (
           SELECT account_id, available + frozen AS owed FROM balances WHERE asset = ?
           UNION ALL
           SELECT t.to_account_id, t.amount FROM transfers t LEFT JOIN transfer_credits tc ON tc.transfer_id = t.id
           WHERE t.asset = ? AND t.from_node_id <> t.to_node_id AND tc.transfer_id IS NULL
         ) x
         LEFT JOIN accounts a ON a.id = x.account_id
         LEFT JOIN clients c ON c.id = a.client_id
         GROUP BY x.account_id, c.reserve_salt
         ORDER BY x.account_id`,
        [asset.id, asset.id],
      )) as [{ account_id: string; owed: string; salt: string | null }[]];
      const [hot] = (await trx.raw('SELECT address FROM hot_wallets WHERE chain = ?', [chain.id])) as [{ address: string }[]];
      const [deposit] = (await trx.raw('SELECT address FROM addresses WHERE chain = ? ORDER BY id', [chain.id])) as [{ address: string }[]];
      const [operated] = (await trx.raw('SELECT address, role FROM operated_addresses WHERE chain = ? ORDER BY address', [chain.id])) as [
        { address: string; role: string }[],
      ];
      const [wallet] = (await trx.raw('SELECT address FROM wallet_addresses WHERE chain = ? ORDER BY id', [chain.id])) as [
        { address: string }[],
      ];
      return { owed, hot, deposit, operated, wallet };
    },
    { isolationLevel: 'repeatable read' },
  );

  if (snapshot.owed.length === 0) {
    throw new WalletError('VALIDATION_FAILED', `no account holds ${asset.id}: nothing to report`, {
      details: { reason: 'no_liabilities', asset: asset.id },
    });
  }
  const leaves: (SumLeaf & { accountId: string })[] = snapshot.owed.map((r) => {
    if (r.salt === null) throw new WalletError('INTERNAL', `account ${r.account_id} holds ${asset.id} but has no client`);
    const balance = BigInt(r.owed);
    // a negative liability is a broken ledger: the report must not hide it in a sum
    if (balance < 0n) throw new WalletError('INTERNAL', `account ${r.account_id} has a negative ${asset.id} liability: ${balance}`);
    return { accountId: r.account_id, commitment: accountCommitment(r.account_id, r.salt), balance };
  });
  const tree = buildSumTree(leaves);
  if (tree.total > MAX_DECIMAL65) throw new WalletError('INTERNAL', `the ${asset.id} total does not fit DECIMAL(65,0)`);

  // Every address the wallet holds the chain's coins on, each once (the first kind that names it: UTXO chains' main
  // address is the hot wallet and a wallet address).
  const byAddress = new Map<string, Omit<ReserveHolding, 'balance'>>();
  const add = (address: string, kind: ReserveHolding['kind']) => {
    if (!byAddress.has(address)) byAddress.set(address, { chain: chain.id, address, kind });
  };
  for (const h of snapshot.hot) add(h.address, 'hot');
  for (const w of snapshot.wallet) add(w.address, 'wallet');
  for (const o of snapshot.operated) add(o.address, o.role === 'cold' ? 'cold' : 'fee');
  for (const d of snapshot.deposit) add(d.address, 'deposit');
  const held = [...byAddress.values()];
  const holdings: ReserveHolding[] = [];
  const { balanceOf } = options;
  // a few reads in flight at once: thousands of deposit addresses one by one would take minutes
  for (let i = 0; i < held.length; i += BALANCE_READS_IN_FLIGHT) {
    const batch = held.slice(i, i + BALANCE_READS_IN_FLIGHT);
    const balances = balanceOf ? await Promise.all(batch.map((h) => balanceOf(h))) : [];
    batch.forEach((h, k) => holdings.push({ ...h, balance: balances[k] ?? null }));
  }
  const holdingsTotal =
    holdings.length > 0 && holdings.every((h) => h.balance !== null) ? holdings.reduce((a, h) => a + (h.balance ?? 0n), 0n) : null;

  const id = newId('por');
  const createdAt = new Date();
  await db.transaction(async (trx) => {
    await trx('reserve_reports').insert({
      id,
      asset: asset.id,
      root: tree.root,
      total: tree.total.toString(),
      leaf_count: tree.leafCount,
      holdings_total: holdingsTotal?.toString() ?? null,
      created_at: createdAt,
    });
    await insertChunked(
      trx,
      'reserve_leaves',
      leaves.map((l, i) => ({
        report_id: id,
        leaf_index: i,
        account_id: l.accountId,
        balance: l.balance.toString(),
        commitment: l.commitment,
      })),
    );
    await insertChunked(
      trx,
      'reserve_nodes',
      tree.levels.flatMap((nodes, level) =>
        nodes.map((n, i) => ({ report_id: id, level, node_index: i, hash: n.hash, sum: n.sum.toString() })),
      ),
    );
    await insertChunked(
      trx,
      'reserve_holdings',
      holdings.map((h) => ({ report_id: id, chain: h.chain, address: h.address, kind: h.kind, balance: h.balance?.toString() ?? null })),
    );
  });
  return { id, asset: asset.id, root: tree.root, total: tree.total, leafCount: tree.leafCount, holdings, holdingsTotal, createdAt };
}

async function insertChunked(trx: Knex.Transaction, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx(table).insert(rows.slice(i, i + INSERT_CHUNK));
}
