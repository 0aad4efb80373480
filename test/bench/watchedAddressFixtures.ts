import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Knex } from '@wallet/db';

const CLIENT_ID = 'c_bench';
const NODE_ID = 't1';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The owners of the watched addresses: one client and `count` accounts bound to transrv node `t1`. Account ids have
 * the shape and length of real ones (`acc_` + 26 characters), since the watched set keeps one per address.
 * @returns the account ids
 */
export async function createOwners(db: Knex, count: number): Promise<string[]> {
  await db('transrv_nodes').insert({ node_id: NODE_ID });
  await db('clients').insert({ id: CLIENT_ID, name: 'bench', key_id: 'k_bench', secret: 'unused' });
  const ids = Array.from({ length: count }, () => `acc_${Array.from(randomBytes(26), (b) => CROCKFORD[b % 32]).join('')}`);
  await db('accounts').insert(ids.map((id, i) => ({ id, client_id: CLIENT_ID, external_id: `bench-${i}`, node_id: NODE_ID })));
  return ids;
}

/**
 * Inserts deposit addresses with derivation indexes `from` to `to - 1` on `chain`, in multi-row INSERTs of `chunk`
 * rows: first `receivers` (the addresses the preloaded chain pays), then random 20-byte addresses that no
 * transaction touches. Accounts take turns owning them.
 */
export async function insertWatchedAddresses(
  db: Knex,
  options: {
    readonly chain: string;
    readonly from: number;
    readonly to: number;
    readonly receivers: readonly string[];
    readonly accounts: readonly string[];
    readonly say: (msg: string) => void;
    /** @default 5_000 */
    readonly chunk?: number;
    /** An address no transaction touches. @default a random 20-byte EVM address */
    readonly filler?: () => string;
  },
): Promise<void> {
  const { chain, from, to, receivers, accounts, say } = options;
  const chunk = options.chunk ?? 5_000;
  const started = performance.now();
  let lastReport = started;
  for (let start = from; start < to; start += chunk) {
    const rows = [];
    for (let index = start; index < Math.min(start + chunk, to); index++) {
      rows.push({
        chain,
        address: receivers[index] ?? (options.filler ? options.filler() : `0x${randomBytes(20).toString('hex')}`),
        derivation_index: index,
        path: `m/44'/60'/0'/0/${index}`,
        account_id: accounts[index % accounts.length]!,
        client_id: CLIENT_ID,
      });
    }
    await db('addresses').insert(rows);
    const done = Math.min(start + chunk, to);
    const now = performance.now();
    if (now - lastReport > 3_000 || done === to) {
      lastReport = now;
      say(`watched addresses: ${done.toLocaleString('en')}/${to.toLocaleString('en')} rows (${((now - started) / 1000).toFixed(1)} s)`);
    }
  }
}
