import type { Knex } from '@wallet/db';
import { findLedgerBreaks } from './ledgerBreaks.js';

export type InvariantReport = {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Per asset: total held by users (available + frozen) and in transit between nodes. */
  readonly totals: Readonly<Record<string, { users: bigint; transit: bigint }>>;
};

/**
 * Checks the ledger's invariants over the whole database (a command, and a test helper):
 * 1. every entry's lines sum to zero per asset, so all lines of an asset sum to zero;
 * 2. no balance is negative;
 * 3. every user balance row equals the sum of its journal lines, bucket by bucket;
 * 4. the transit account holds exactly the cross-node transfers whose credit is not yet posted;
 * 5. every frozen balance is exactly the amount + fee of the account's withdrawals that have not ended, plus the
 *    unclaimed rest of its open red packets;
 * 6. every confirmed internal withdrawal has its credit: the receiver's internal deposit, or a transfer still in transit.
 */
export async function checkInvariants(db: Knex): Promise<InvariantReport> {
  const local = await checkOneDatabase(db, 'whole');
  const problems = [...local.problems, ...transitMismatches(local.transit, local.undelivered, '')];
  return { ok: problems.length === 0, problems, totals: local.totals };
}

/**
 * Per asset, where what the transit account holds differs from what the undelivered transfers total.
 * @param where how the problem names the transit accounts it summed ('' for one database)
 */
export function transitMismatches(transit: ReadonlyMap<string, bigint>, undelivered: ReadonlyMap<string, bigint>, where: string): string[] {
  const problems: string[] = [];
  for (const asset of new Set([...transit.keys(), ...undelivered.keys()])) {
    const held = transit.get(asset) ?? 0n;
    const owed = undelivered.get(asset) ?? 0n;
    if (held !== owed) problems.push(`transit ${asset} holds ${held}${where} but undelivered transfers total ${owed}`);
  }
  return problems;
}

/** What one database's checks found, and its sums for the checks across databases. */
export type DatabaseChecks = {
  readonly problems: string[];
  /** Per asset: the transit account's journal sum in this database. */
  readonly transit: Map<string, bigint>;
  /** Per asset: cross-node transfers debited here whose credit is not in this database (`whole` only). */
  readonly undelivered: Map<string, bigint>;
  readonly totals: Record<string, { users: bigint; transit: bigint }>;
};

/**
 * The invariants of one database. `whole`: the database holds every node's rows (today's deployment), so a
 * cross-node transfer's credit and an internal withdrawal's credit are looked up in it. `shard`: it holds one node's
 * rows; what crosses to another shard (a transfer's credit, an internal withdrawal credited on another node) is left
 * to `checkShards`, which follows it across them.
 */
export async function checkOneDatabase(db: Knex, scope: 'whole' | 'shard'): Promise<DatabaseChecks> {
  const problems: string[] = [];

  const breaks = await findLedgerBreaks(db);
  for (const u of breaks.unbalanced) {
    problems.push(u.entryId === null ? `journal of ${u.asset} sums to ${u.sum}` : `entry ${u.entryId} ${u.asset} sums to ${u.sum}`);
  }
  for (const n of breaks.negative) problems.push(`negative balance ${n.accountId} ${n.asset}`);

  const [mismatched] = (await db.raw(`
    SELECT COALESCE(b.account_id, j.account_id) AS account_id, COALESCE(b.asset, j.asset) AS asset,
           CAST(COALESCE(b.available, 0) AS CHAR) AS available, CAST(COALESCE(j.available, 0) AS CHAR) AS j_available,
           CAST(COALESCE(b.frozen, 0) AS CHAR) AS frozen, CAST(COALESCE(j.frozen, 0) AS CHAR) AS j_frozen
    FROM balances b
    LEFT JOIN (
      SELECT account_id, asset,
             SUM(CASE WHEN bucket = 'available' THEN amount ELSE 0 END) AS available,
             SUM(CASE WHEN bucket = 'frozen' THEN amount ELSE 0 END) AS frozen
      FROM journal WHERE account_id NOT LIKE 'sys:%' GROUP BY account_id, asset
    ) j ON j.account_id = b.account_id AND j.asset = b.asset
    WHERE b.available <> COALESCE(j.available, 0) OR b.frozen <> COALESCE(j.frozen, 0)
    LIMIT 20`)) as [{ account_id: string; asset: string; available: string; j_available: string; frozen: string; j_frozen: string }[]];
  for (const r of mismatched) {
    problems.push(`balance ${r.account_id} ${r.asset}: row ${r.available}/${r.frozen}, journal ${r.j_available}/${r.j_frozen}`);
  }
  const [orphanLines] = (await db.raw(`
    SELECT DISTINCT j.account_id, j.asset FROM journal j
    LEFT JOIN balances b ON b.account_id = j.account_id AND b.asset = j.asset
    WHERE j.account_id NOT LIKE 'sys:%' AND b.account_id IS NULL LIMIT 20`)) as [{ account_id: string; asset: string }[]];
  for (const r of orphanLines) problems.push(`journal lines without a balance row: ${r.account_id} ${r.asset}`);

  const [transit] = (await db.raw(
    `SELECT asset, CAST(SUM(amount) AS CHAR) AS sum FROM journal WHERE account_id = 'sys:transit' GROUP BY asset`,
  )) as [{ asset: string; sum: string }[]];
  const transitByAsset = new Map(transit.map((r) => [r.asset, BigInt(r.sum)]));
  const undeliveredByAsset = new Map<string, bigint>();
  if (scope === 'whole') {
    const [undelivered] = (await db.raw(`
      SELECT t.asset, CAST(SUM(t.amount) AS CHAR) AS sum FROM transfers t
      LEFT JOIN transfer_credits c ON c.transfer_id = t.id
      WHERE t.from_node_id <> t.to_node_id AND c.transfer_id IS NULL GROUP BY t.asset`)) as [{ asset: string; sum: string }[]];
    for (const r of undelivered) undeliveredByAsset.set(r.asset, BigInt(r.sum));
  }

  // What each account's frozen must be: its open withdrawals' amount + fee, and its open red packets' unclaimed rest.
  const held = `SELECT account_id, asset, SUM(held) AS held FROM (
      SELECT account_id, asset, amount + fee AS held FROM withdrawals
      WHERE status IN ('pending_review', 'approved', 'signed', 'broadcast')
      UNION ALL
      SELECT from_account_id, asset, total - claimed_amount FROM red_packets WHERE status = 'open'
    ) h0 GROUP BY account_id, asset`;
  const [frozenMismatch] = (await db.raw(`
    SELECT COALESCE(b.account_id, h.account_id) AS account_id, COALESCE(b.asset, h.asset) AS asset,
           CAST(COALESCE(b.frozen, 0) AS CHAR) AS frozen, CAST(COALESCE(h.held, 0) AS CHAR) AS held
    FROM (SELECT account_id, asset, frozen FROM balances WHERE frozen <> 0) b
    LEFT JOIN (${held}) h ON h.account_id = b.account_id AND h.asset = b.asset
    WHERE b.frozen <> COALESCE(h.held, 0)
    UNION ALL
    SELECT h.account_id, h.asset, CAST(COALESCE(b.frozen, 0) AS CHAR), CAST(h.held AS CHAR)
    FROM (${held}) h LEFT JOIN balances b ON b.account_id = h.account_id AND b.asset = h.asset
    WHERE h.held <> 0 AND COALESCE(b.frozen, 0) = 0
    LIMIT 20`)) as [{ account_id: string; asset: string; frozen: string; held: string }[]];
  for (const r of frozenMismatch) {
    problems.push(`frozen ${r.account_id} ${r.asset} is ${r.frozen} but its open withdrawals and red packets hold ${r.held}`);
  }

  // The credit is the receiver's internal deposit, or a transfer still in transit. On a shard, a credit to another
  // node's account is any transfer from here (checkShards follows it to its credit on the other shard).
  const inTransit =
    scope === 'whole'
      ? 'SELECT 1 FROM transfers t LEFT JOIN transfer_credits c ON c.transfer_id = t.id WHERE t.withdrawal_id = w.id AND c.transfer_id IS NULL'
      : 'SELECT 1 FROM transfers t WHERE t.withdrawal_id = w.id';
  const [uncredited] = (await db.raw(`
    SELECT w.id FROM withdrawals w
    WHERE w.status = 'confirmed' AND w.internal_account_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.withdrawal_id = w.id)
      AND NOT EXISTS (${inTransit})
    LIMIT 20`)) as [{ id: string }[]];
  for (const r of uncredited) problems.push(`internal withdrawal ${r.id} is confirmed but its credit is nowhere`);

  const [userTotals] = (await db.raw(`SELECT asset, CAST(SUM(available + frozen) AS CHAR) AS sum FROM balances GROUP BY asset`)) as [
    { asset: string; sum: string }[],
  ];
  const totals: Record<string, { users: bigint; transit: bigint }> = {};
  for (const r of userTotals) totals[r.asset] = { users: BigInt(r.sum), transit: transitByAsset.get(r.asset) ?? 0n };

  return { problems, transit: transitByAsset, undelivered: undeliveredByAsset, totals };
}
