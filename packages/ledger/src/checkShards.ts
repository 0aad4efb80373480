import type { Knex } from '@wallet/db';
import { type InvariantReport, checkOneDatabase, transitMismatches } from './checkInvariants.js';

/** One transrv node's database (a shard) and the node whose money it holds. */
export type LedgerShard = { readonly nodeId: string; readonly db: Knex };

/** A cross-node transfer as its paying shard records it. */
type Debit = { id: string; asset: string; amount: string; to_account_id: string; from_node_id: string; to_node_id: string };
/** Its credit as the receiving shard records it. */
type Credit = { transfer_id: string; asset: string; amount: string; to_account_id: string; from_node_id: string; to_node_id: string };

const PAGE = 5000;
/** At most this many problems of one kind across the shards, as each database's own checks report at most 20. */
const LIMIT = 20;

/**
 * The ledger invariants of a cluster whose transrv nodes each keep their money in a database of their own
 * (docs/sharding.md): each shard's own (`checkOneDatabase`: its journal sums to zero, no negative balance, balances
 * equal their journal lines, frozen equals what is held), with every problem named by its node; each shard holds only
 * its node's rows (journal lines, transfers it paid, credits it received); and across them, every cross-node transfer
 * is credited at most once, on its receiving node, with the transfer's asset, amount and account, no credit exists
 * without its transfer, and the transit accounts of all shards together hold exactly the transfers not yet credited.
 *
 * Transfers and credits are read in id order a page at a time from every shard and merged, so memory does not grow
 * with the ledger. The shards are read one after another, not in one snapshot: a transfer credited between the
 * reads of its two shards can show as a transit mismatch. Run it on a quiet cluster, or again on a mismatch.
 */
export async function checkShards(shards: readonly LedgerShard[], options: { readonly pageSize?: number } = {}): Promise<InvariantReport> {
  const page = options.pageSize ?? PAGE;
  const nodes = shards.map((s) => s.nodeId);
  if (new Set(nodes).size !== nodes.length) throw new Error(`one node per shard: ${nodes.join(', ')}`);
  const problems: string[] = [];
  const totals: Record<string, { users: bigint; transit: bigint }> = {};
  const transit = new Map<string, bigint>();
  for (const { nodeId, db } of shards) {
    const local = await checkOneDatabase(db, 'shard');
    problems.push(...local.problems.map((p) => `${nodeId}: ${p}`));
    problems.push(...(await foreignRows(db, nodeId)).map((p) => `${nodeId}: ${p}`));
    for (const [asset, t] of Object.entries(local.totals)) {
      const sum = (totals[asset] ??= { users: 0n, transit: 0n });
      sum.users += t.users;
    }
    for (const [asset, held] of local.transit) transit.set(asset, (transit.get(asset) ?? 0n) + held);
  }
  for (const [asset, held] of transit) (totals[asset] ??= { users: 0n, transit: 0n }).transit = held;

  const undelivered = new Map<string, bigint>();
  const across: string[] = [];
  const debits = merge(
    shards.map((s) =>
      pages<Debit>(s, page, 'transfers', 'id', ['id', 'asset', 'amount', 'to_account_id', 'from_node_id', 'to_node_id'], true),
    ),
  );
  const credits = merge(
    shards.map((s) =>
      pages<Credit>(
        s,
        page,
        'transfer_credits',
        'transfer_id',
        ['transfer_id', 'asset', 'amount', 'to_account_id', 'from_node_id', 'to_node_id'],
        false,
      ),
    ),
  );
  let debit = await debits.next();
  let credit = await credits.next();
  while (debit !== undefined || credit !== undefined) {
    const id = debit === undefined ? credit!.key : credit === undefined ? debit.key : debit.key <= credit.key ? debit.key : credit.key;
    const paid: { nodeId: string; row: Debit }[] = [];
    const got: { nodeId: string; row: Credit }[] = [];
    while (debit !== undefined && debit.key === id) {
      paid.push(debit);
      debit = await debits.next();
    }
    while (credit !== undefined && credit.key === id) {
      got.push(credit);
      credit = await credits.next();
    }
    const t = paid[0];
    if (paid.length > 1) across.push(`transfer ${id} is recorded on ${paid.map((p) => p.nodeId).join(' and ')}`);
    if (got.length > 1) across.push(`transfer ${id} is credited on ${got.map((c) => c.nodeId).join(' and ')}`);
    if (t === undefined) {
      across.push(`credit of transfer ${id} on ${got[0]!.nodeId} has no transfer on any shard`);
      continue;
    }
    const c = got[0];
    if (c === undefined) {
      undelivered.set(t.row.asset, (undelivered.get(t.row.asset) ?? 0n) + BigInt(t.row.amount));
      continue;
    }
    if (c.nodeId !== t.row.to_node_id) across.push(`transfer ${id} to ${t.row.to_node_id} is credited on ${c.nodeId}`);
    if (c.row.asset !== t.row.asset || BigInt(c.row.amount) !== BigInt(t.row.amount) || c.row.to_account_id !== t.row.to_account_id) {
      across.push(
        `transfer ${id} pays ${t.row.amount} ${t.row.asset} to ${t.row.to_account_id}, its credit on ${c.nodeId} is ${c.row.amount} ${c.row.asset} to ${c.row.to_account_id}`,
      );
    }
  }
  problems.push(...across.slice(0, LIMIT));
  if (across.length > LIMIT) problems.push(`... and ${across.length - LIMIT} more transfers across shards`);
  problems.push(...transitMismatches(transit, undelivered, ' across the shards'));
  return { ok: problems.length === 0, problems, totals };
}

/** Rows of another node in a node's shard: its journal lines, the transfers it paid, the credits it received. */
async function foreignRows(db: Knex, nodeId: string): Promise<string[]> {
  const found: string[] = [];
  const [journal] = (await db.raw(`SELECT DISTINCT node_id FROM journal WHERE node_id <> ? LIMIT ?`, [nodeId, LIMIT])) as [
    { node_id: string }[],
  ];
  for (const r of journal) found.push(`journal lines of node ${r.node_id}`);
  const paid = await db('transfers').whereNot('from_node_id', nodeId).limit(LIMIT).pluck<string[]>('id');
  for (const id of paid) found.push(`transfer ${id} was not paid by this node`);
  const got = await db('transfer_credits').whereNot('to_node_id', nodeId).limit(LIMIT).pluck<string[]>('transfer_id');
  for (const id of got) found.push(`credit of transfer ${id} is not for this node`);
  return found;
}

type Keyed<R> = { nodeId: string; key: string; row: R };

/** One shard's rows of `table` (transfers: cross-node ones; every credit is one) in `key` order, a page at a time (keyset paging on the primary key). */
async function* pages<R>(
  shard: LedgerShard,
  size: number,
  table: string,
  key: string,
  columns: readonly string[],
  crossNodeOnly: boolean,
): AsyncGenerator<Keyed<R>> {
  let after: string | undefined;
  for (;;) {
    const q = shard.db(table).select(columns).orderBy(key).limit(size);
    if (crossNodeOnly) void q.whereRaw('from_node_id <> to_node_id');
    if (after !== undefined) void q.where(key, '>', after);
    const rows = (await q) as (R & Record<string, string>)[];
    for (const row of rows) yield { nodeId: shard.nodeId, key: row[key]!, row };
    if (rows.length < size) return;
    after = rows[rows.length - 1]![key];
  }
}

/** Sorted streams merged into one in key order (ids are ASCII, ordered by MySQL's binary collation as by `<`). */
function merge<R>(streams: AsyncGenerator<Keyed<R>>[]): { next(): Promise<Keyed<R> | undefined> } {
  const heads: (Keyed<R> | undefined)[] = [];
  let started = false;
  return {
    async next() {
      if (!started) {
        started = true;
        for (const s of streams) heads.push(await pull(s));
      }
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (best < 0 || h.key < heads[best]!.key)) best = i;
      }
      if (best < 0) return undefined;
      const out = heads[best]!;
      heads[best] = await pull(streams[best]!);
      return out;
    },
  };
}

async function pull<R>(stream: AsyncGenerator<Keyed<R>>): Promise<Keyed<R> | undefined> {
  const r = await stream.next();
  return r.done === true ? undefined : r.value;
}
