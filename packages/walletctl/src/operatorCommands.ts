import type { AssetRegistry } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { Io } from './walletctl.js';

export type OperatorOptions = {
  readonly json: boolean;
  readonly account?: string | undefined;
  readonly status?: string | undefined;
  readonly chain?: string | undefined;
  readonly asset?: string | undefined;
  readonly limit?: string | undefined;
};

const depositStatuses = ['pending', 'credited', 'orphaned', 'reversal_pending', 'reversed'];
const withdrawalStatuses = ['pending_review', 'approved', 'signed', 'broadcast', 'confirmed', 'rejected', 'cancelled', 'failed'];

/**
 * What operators ask about most, read from MySQL (walletctl runs with the admin URL): `deposits`, `withdrawals`,
 * `balances ACCOUNT_ID`, `hot-wallets`, `scanners` (with their lag against the chains' nodes, WALLET_CHAIN_RPC).
 * @returns the exit code
 */
export async function operatorCommand(
  db: Knex,
  group: string,
  arg: string | undefined,
  options: OperatorOptions,
  io: Io,
  chains: { readonly registry: AssetRegistry; readonly rpc: Readonly<Record<string, string>> },
): Promise<number> {
  const limit = parseLimit(options.limit);
  const print = (json: unknown, human: string[]) =>
    options.json ? io.out(JSON.stringify(json, null, 2)) : human.forEach((l) => io.out(l));
  switch (group) {
    case 'deposits': {
      const q = newest(db, 'deposits', options, depositStatuses, limit)
        .select('id', 'chain', 'asset', 'account_id', 'node_id', 'txid', 'output_index', db.raw('CAST(amount AS CHAR) AS amount'))
        .select('block_number', 'status', 'created_at', 'credited_at');
      const rows = (await q) as Record<string, unknown>[];
      print(rows, [
        'deposit                                  status            asset  amount (base units)        account                                  block     txid',
        ...rows.map(
          (r) =>
            `${str(r['id']).padEnd(40)} ${str(r['status']).padEnd(17)} ${str(r['asset']).padEnd(6)} ${str(r['amount']).padEnd(26)} ${str(r['account_id']).padEnd(40)} ${str(r['block_number']).padEnd(9)} ${str(r['txid'])}:${str(r['output_index'])}`,
        ),
        ...(rows.length === limit ? [`(the newest ${limit}; --limit shows more)`] : []),
      ]);
      return 0;
    }
    case 'withdrawals': {
      const q = newest(db, 'withdrawals', options, withdrawalStatuses, limit)
        .select('id', 'chain', 'asset', 'account_id', 'node_id', 'to_address', db.raw('CAST(amount AS CHAR) AS amount'))
        .select(db.raw('CAST(fee AS CHAR) AS fee'), 'status', 'txid', 'reason', 'created_at', 'updated_at');
      const rows = (await q) as Record<string, unknown>[];
      print(rows, [
        'withdrawal                               status          asset  amount (base units)        to                                           txid',
        ...rows.map(
          (r) =>
            `${str(r['id']).padEnd(40)} ${str(r['status']).padEnd(15)} ${str(r['asset']).padEnd(6)} ${str(r['amount']).padEnd(26)} ${str(r['to_address']).padEnd(44)} ${str(r['txid'])}`,
        ),
        ...(rows.length === limit ? [`(the newest ${limit}; --limit shows more)`] : []),
      ]);
      return 0;
    }
    case 'balances': {
      if (!arg) throw new WalletError('VALIDATION_FAILED', 'ACCOUNT_ID is required');
      const account = await db<{ id: string; node_id: string }>('accounts').where({ id: arg }).first('id', 'node_id');
      if (!account) throw new WalletError('ACCOUNT_NOT_FOUND', `no account ${arg}`);
      const rows = (await db('balances')
        .where({ account_id: arg })
        .select('asset', db.raw('CAST(available AS CHAR) AS available'), db.raw('CAST(frozen AS CHAR) AS frozen'), 'updated_at')
        .orderBy('asset')) as Record<string, unknown>[];
      print({ accountId: arg, nodeId: account.node_id, balances: rows }, [
        `account ${arg} on node ${account.node_id} (base units)`,
        'asset  available                  frozen',
        ...rows.map((r) => `${str(r['asset']).padEnd(6)} ${str(r['available']).padEnd(26)} ${str(r['frozen'])}`),
        ...(rows.length === 0 ? ['(no balance yet)'] : []),
      ]);
      return 0;
    }
    case 'hot-wallets': {
      const rows = (await db('hot_wallets as h')
        .leftJoin('treasury_tiers as t', 't.chain', 'h.chain')
        .select('h.chain', 'h.address', 'h.active', 't.asset')
        .select(
          db.raw('CAST(t.last_hot AS CHAR) AS last_hot'),
          db.raw('CAST(t.cap AS CHAR) AS cap'),
          db.raw('CAST(t.floor AS CHAR) AS floor'),
        )
        .select('t.measured_at')
        .orderBy('h.chain')
        .orderBy('h.active', 'desc')) as Record<string, unknown>[];
      print(rows, [
        'chain  address                                     active  asset  last measured (base units)   floor / cap',
        ...rows.map(
          (r) =>
            `${str(r['chain']).padEnd(6)} ${str(r['address']).padEnd(43)} ${(Number(r['active']) ? 'yes' : 'no').padEnd(7)} ${str(r['asset']).padEnd(6)} ${`${str(r['last_hot'])}${r['measured_at'] ? ` at ${new Date(r['measured_at'] as string).toISOString()}` : ''}`.padEnd(28)} ${str(r['floor'])} / ${str(r['cap'])}`,
        ),
      ]);
      return 0;
    }
    case 'scanners': {
      const [checkpoints] = (await db.raw(
        `SELECT b.chain, b.number, b.scanned_at, f.holder, f.token
           FROM chain_blocks b
           JOIN (SELECT chain, MAX(number) AS number FROM chain_blocks GROUP BY chain) m ON m.chain = b.chain AND m.number = b.number
           LEFT JOIN scanner_fences f ON f.chain = b.chain`,
      )) as [{ chain: string; number: string; scanned_at: Date; holder: string | null; token: string | null }[]];
      const rows = await Promise.all(
        [...chains.registry.chains.values()].map(async (chain) => {
          const c = checkpoints.find((r) => r.chain === chain.id);
          const head = await nodeHead(chain.kind, chains.rpc[chain.id]);
          const checkpoint = c ? Number(c.number) : null;
          return {
            chain: chain.id,
            scanner: c?.holder ?? null,
            checkpoint,
            scannedAt: c ? new Date(c.scanned_at).toISOString() : null,
            head: typeof head === 'number' ? head : null,
            lag: typeof head === 'number' && checkpoint !== null ? Math.max(0, head - checkpoint) : null,
            ...(typeof head === 'string' ? { headError: head } : {}),
          };
        }),
      );
      print(rows, [
        'chain  scanner      checkpoint  head        lag     last block written',
        ...rows.map(
          (r) =>
            `${r.chain.padEnd(6)} ${(r.scanner ?? '-').padEnd(12)} ${String(r.checkpoint ?? '-').padEnd(11)} ${String(r.head ?? '-').padEnd(11)} ${String(r.lag ?? '-').padEnd(7)} ${r.scannedAt ?? '-'}${r.headError ? `  (node: ${r.headError})` : ''}`,
        ),
      ]);
      return rows.every((r) => r.lag === null || r.lag <= 1) ? 0 : 1;
    }
    default:
      throw new WalletError('VALIDATION_FAILED', `unknown command ${group}`);
  }
}

/** The newest rows of `table` (deposits, withdrawals) that match the operator's filters. */
function newest(db: Knex, table: string, options: OperatorOptions, statuses: readonly string[], limit: number): Knex.QueryBuilder {
  const status = oneOf(options.status, statuses, '--status');
  const q = db(table).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (options.account) void q.where('account_id', options.account);
  if (status) void q.where('status', status);
  if (options.chain) void q.where('chain', options.chain);
  if (options.asset) void q.where('asset', options.asset);
  return q;
}

/** The node's height, or why it could not be read (a string); undefined when no RPC URL is configured. */
async function nodeHead(kind: string, url: string | undefined): Promise<number | string | undefined> {
  if (url === undefined) return 'no WALLET_CHAIN_RPC for this chain';
  const u = new URL(url);
  const auth = u.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
    : undefined;
  u.username = '';
  u.password = '';
  const method = kind === 'evm' ? 'eth_blockNumber' : 'getblockcount';
  try {
    const response = await fetch(u, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify({ jsonrpc: kind === 'evm' ? '2.0' : '1.0', id: 1, method, params: [] }),
      signal: AbortSignal.timeout(3000),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message?: string } | null };
    if (body.error) return body.error.message ?? 'error';
    const n = typeof body.result === 'string' ? Number.parseInt(body.result, 16) : Number(body.result);
    return Number.isSafeInteger(n) ? n : `unexpected answer ${JSON.stringify(body.result)}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A MySQL value for a table cell: '-' for NULL, ISO time for a date. */
function str(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 20;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1000) throw new WalletError('VALIDATION_FAILED', '--limit must be an integer from 1 to 1000');
  return n;
}

function oneOf(value: string | undefined, allowed: readonly string[], name: string): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new WalletError('VALIDATION_FAILED', `${name} must be one of ${allowed.join(', ')}`);
  return value;
}
