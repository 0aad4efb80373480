// Rows for the list-page benchmark, written straight into a database: deposits, withdrawals and transfers of one large
// client and of a few others, spread over DAYS days, with the status, asset and reference mix a busy exchange has.
// Ids are ULID-shaped with the row's own creation time, as newId makes them.
import { randomBytes } from 'node:crypto';
import type { Db } from '@wallet/db';

export const DAYS = 100;
export const ASSETS = ['ETH', 'BTC', 'LTC'] as const;
const CHAIN_OF: Record<string, string> = { ETH: 'eth', BTC: 'btc', LTC: 'ltc' };

export type SeedClient = { readonly clientId: string; readonly accounts: readonly { id: string; nodeId: string }[] };
export type SeedPlan = {
  /** The client whose pages are measured: `perKind` rows of each kind. */
  readonly big: SeedClient;
  /** Other clients: `perKind / 4` rows of each kind among them, interleaved in time with the big one's. */
  readonly others: readonly SeedClient[];
  readonly perKind: number;
  /** created_at of the newest row. */
  readonly now: Date;
};

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID for `ms` (48-bit time, 80 random bits) in Crockford base32. */
function ulidAt(ms: number): string {
  let time = '';
  for (let t = ms, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32]! + time;
  const random = randomBytes(16);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[random[i]! % 32];
  return time + tail;
}

/** A deterministic-enough pseudo-random stream (mulberry32), so runs measure the same mix. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, weighted: readonly (readonly [T, number])[]): T {
  let x = r() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of weighted) {
    x -= w;
    if (x < 0) return v;
  }
  return weighted[weighted.length - 1]![0];
}

const assetMix = [
  ['ETH', 60],
  ['BTC', 25],
  ['LTC', 15],
] as const;
const depositStatuses = [
  ['credited', 90],
  ['pending', 8],
  ['orphaned', 1.5],
  ['reversed', 0.4],
  ['reversal_pending', 0.1],
] as const;
const withdrawalStatuses = [
  ['confirmed', 85],
  ['pending_review', 4],
  ['approved', 1],
  ['signed', 1],
  ['broadcast', 2],
  ['rejected', 3],
  ['cancelled', 3],
  ['failed', 1],
] as const;
const transferStatuses = [
  ['completed', 99],
  ['pending_credit', 1],
] as const;

type Owner = { client: SeedClient; account: { id: string; nodeId: string }; big: boolean };

/** A row of the big client as the lists show it, for picking filters' rows and deep positions. */
export type SeedRow = {
  readonly id: string;
  readonly accountId: string;
  /** Transfers: the receiving account. */
  readonly toAccountId?: string;
  readonly asset: string;
  readonly status: string;
  readonly reference: string | null;
  readonly createdAt: number;
};
export type SeedResult = {
  readonly counts: Record<string, number>;
  /** The big client's rows per list, in no particular order. */
  readonly big: { readonly dep: SeedRow[]; readonly wd: SeedRow[]; readonly tr: SeedRow[] };
};

/**
 * Inserts `perKind` deposits, withdrawals and transfers of the big client and a quarter as many of the others, in
 * batches of 1,000 rows. Half the big client's withdrawals and transfers carry a reference (`ref-w-<n>`, `ref-t-<n>`).
 * @returns rows written per table, and the big client's rows
 */
export async function seedListPages(db: Db, plan: SeedPlan, onProgress: (msg: string) => void = () => {}): Promise<SeedResult> {
  const r = rng(42);
  const span = DAYS * 86_400_000;
  const otherCount = Math.floor(plan.perKind / 4);
  const owners = (): Owner[] => {
    const list: Owner[] = [];
    for (let i = 0; i < plan.perKind; i++)
      list.push({ client: plan.big, account: plan.big.accounts[i % plan.big.accounts.length]!, big: true });
    for (let i = 0; i < otherCount; i++) {
      const client = plan.others[i % plan.others.length]!;
      list.push({ client, account: client.accounts[i % client.accounts.length]!, big: false });
    }
    // Shuffled, so the clients' rows interleave in time.
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    return list;
  };
  const times = (n: number): number[] => Array.from({ length: n }, () => plan.now.getTime() - Math.floor(r() * span)).sort((a, b) => a - b);
  const counts: Record<string, number> = {};
  const big: SeedResult['big'] = { dep: [], wd: [], tr: [] };
  const bigClient = plan.big.clientId;
  const insert = async (table: string, rows: Record<string, unknown>[], list: SeedRow[]) => {
    for (let i = 0; i < rows.length; i += 1000) await db(table).insert(rows.slice(i, i + 1000));
    counts[table] = (counts[table] ?? 0) + rows.length;
    for (const r of rows) {
      if (r['client_id'] !== bigClient) continue;
      list.push({
        id: r['id'] as string,
        accountId: (r['account_id'] ?? r['from_account_id']) as string,
        ...(r['to_account_id'] === undefined ? {} : { toAccountId: r['to_account_id'] as string }),
        asset: r['asset'] as string,
        // as clients see it
        status: r['status'] === 'reversal_pending' ? 'credited' : (r['status'] as string),
        reference: (r['reference'] as string | null | undefined) ?? null,
        createdAt: (r['created_at'] as Date).getTime(),
      });
    }
    onProgress(`${table}: ${rows.length} rows`);
  };

  {
    const list = owners();
    const at = times(list.length);
    await insert(
      'deposits',
      list.map((o, i) => {
        const asset = pick(r, assetMix);
        const status = pick(r, depositStatuses);
        return {
          id: `dep_${ulidAt(at[i]!)}`,
          chain: CHAIN_OF[asset],
          txid: `0x${randomBytes(32).toString('hex')}`,
          output_index: -1,
          asset,
          address: `0x${randomBytes(20).toString('hex')}`,
          account_id: o.account.id,
          client_id: o.client.clientId,
          node_id: o.account.nodeId,
          amount: String(1 + Math.floor(r() * 1e9)),
          block_number: 1000 + i,
          block_hash: `0x${randomBytes(32).toString('hex')}`,
          status,
          created_at: new Date(at[i]!),
          credited_at: status === 'pending' || status === 'orphaned' ? null : new Date(at[i]! + 60_000),
        };
      }),
      big.dep,
    );
  }
  {
    const list = owners();
    const at = times(list.length);
    await insert(
      'withdrawals',
      list.map((o, i) => {
        const asset = pick(r, assetMix);
        const id = `wd_${ulidAt(at[i]!)}`;
        return {
          id,
          client_id: o.client.clientId,
          account_id: o.account.id,
          node_id: o.account.nodeId,
          idempotency_key: id,
          request_hash: 'r'.repeat(64),
          chain: CHAIN_OF[asset],
          asset,
          to_address: `0x${randomBytes(20).toString('hex')}`,
          amount: String(1 + Math.floor(r() * 1e9)),
          fee: '1000',
          localhash: 'a'.repeat(64),
          status: pick(r, withdrawalStatuses),
          reference: o.big && i % 2 === 0 ? `ref-w-${i}` : null,
          metadata: o.big && i % 4 === 0 ? JSON.stringify({ order: `o-${i}`, desk: 'bench' }) : null,
          created_at: new Date(at[i]!),
          updated_at: new Date(at[i]!),
        };
      }),
      big.wd,
    );
  }
  {
    const list = owners();
    const at = times(list.length);
    await insert(
      'transfers',
      list.map((o, i) => {
        const to = o.client.accounts[(o.client.accounts.indexOf(o.account) + 1) % o.client.accounts.length]!;
        const id = `tr_${ulidAt(at[i]!)}`;
        const status = pick(r, transferStatuses);
        return {
          id,
          client_id: o.client.clientId,
          idempotency_key: id,
          request_hash: 'r'.repeat(64),
          from_account_id: o.account.id,
          to_account_id: to.id,
          from_node_id: o.account.nodeId,
          to_node_id: to.nodeId,
          asset: pick(r, assetMix),
          amount: String(1 + Math.floor(r() * 1e9)),
          status,
          reference: o.big && i % 2 === 0 ? `ref-t-${i}` : null,
          metadata: o.big && i % 4 === 0 ? JSON.stringify({ order: `o-${i}` }) : null,
          created_at: new Date(at[i]!),
          completed_at: status === 'completed' ? new Date(at[i]!) : null,
        };
      }),
      big.tr,
    );
  }
  for (const table of ['deposits', 'withdrawals', 'transfers']) await db.raw('ANALYZE TABLE ??', [table]);
  return { counts, big };
}
