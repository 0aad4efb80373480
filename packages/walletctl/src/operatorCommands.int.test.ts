import { type Db } from '@wallet/db';
import { createTestDatabase } from '@wallet/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWalletctl } from './walletctl.js';

// `walletctl deposits | withdrawals | balances | hot-wallets | scanners` on a MariaDB database of its own, as an
// operator runs them (MYSQL_URL: the admin user); the scanner's head is read from the stack's anvil.

let db: Db;
let url: string;
let drop: () => Promise<void>;
const anvil = process.env['ETH_RPC_URL'] ?? 'http://127.0.0.1:8545';

beforeAll(async () => {
  ({ db, url, drop } = await createTestDatabase());
  // The rows these commands read, without the clients and nodes they refer to (the reads do not join them).
  await db.transaction(async (trx) => {
    await trx.raw('SET FOREIGN_KEY_CHECKS = 0');
    await trx('accounts').insert({ id: 'acc_1', client_id: 'cl_1', external_id: 'alice', node_id: 't1' });
    await trx('balances').insert({ account_id: 'acc_1', asset: 'ETH', available: '1500000000000000000', frozen: '7' });
    const deposit = {
      chain: 'eth',
      asset: 'ETH',
      address: '0xabc',
      node_id: 't1',
      client_id: 'cl_1',
      block_hash: '0xbb',
      output_index: -1,
    };
    await trx('deposits').insert([
      { ...deposit, id: 'dep_1', txid: '0xt1', account_id: 'acc_1', amount: '100', block_number: 5, status: 'credited' },
      { ...deposit, id: 'dep_2', txid: '0xt2', account_id: 'acc_2', amount: '200', block_number: 6, status: 'pending' },
    ]);
    await trx('chain_blocks').insert({ chain: 'eth', number: 6, hash: '0xbb', parent_hash: '0xaa' });
    await trx('scanner_fences').insert({ chain: 'eth', token: 7, holder: 't2' });
    await trx('hot_wallets').insert({ chain: 'eth', address: '0xHot', active: 1 });
    await trx.raw('SET FOREIGN_KEY_CHECKS = 1');
  });
});
afterAll(async () => drop());

async function walletctl(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const env = { ...process.env, MYSQL_URL: url, WALLET_CHAIN_RPC: JSON.stringify({ eth: anvil }) };
  const code = await runWalletctl(args, { out: (l) => out.push(l), err: (l) => out.push(l) }, env);
  return { code, out: out.join('\n') };
}

describe('walletctl operator reads', () => {
  it('deposits: newest first, filtered by account and status, with ids, amounts and txids', async () => {
    const all = await walletctl('deposits', '--json');
    expect(all.code).toBe(0);
    expect((JSON.parse(all.out) as { id: string }[]).map((d) => d.id)).toEqual(['dep_2', 'dep_1']);
    const mine = JSON.parse((await walletctl('deposits', '--account', 'acc_1', '--status', 'credited', '--json')).out) as {
      id: string;
      amount: string;
      txid: string;
    }[];
    expect(mine).toEqual([expect.objectContaining({ id: 'dep_1', amount: '100', txid: '0xt1' })]);
    expect((await walletctl('deposits')).out).toContain('dep_1');
  });

  it('balances of an account in base units, and an unknown account is ACCOUNT_NOT_FOUND', async () => {
    const { code, out } = await walletctl('balances', 'acc_1', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ nodeId: 't1', balances: [{ asset: 'ETH', available: '1500000000000000000', frozen: '7' }] });
    await expect(walletctl('balances', 'acc_nope')).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
  });

  it('scanners: who writes each chain, its checkpoint, the node head and the lag; exit 1 when behind', async () => {
    const head = Number.parseInt(
      (
        (await (
          await fetch(anvil, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
          })
        ).json()) as {
          result: string;
        }
      ).result,
      16,
    );
    const { code, out } = await walletctl('scanners', '--json');
    const eth = (JSON.parse(out) as { chain: string; scanner: string; checkpoint: number; head: number; lag: number }[]).find(
      (r) => r.chain === 'eth',
    );
    expect(eth).toMatchObject({ scanner: 't2', checkpoint: 6 });
    expect(eth!.head).toBeGreaterThanOrEqual(head);
    expect(eth!.lag).toBe(Math.max(0, eth!.head - 6));
    expect(code).toBe(eth!.lag > 1 ? 1 : 0);
  });

  it("hot-wallets lists each chain's addresses and whether active", async () => {
    const { code, out } = await walletctl('hot-wallets', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([expect.objectContaining({ chain: 'eth', address: '0xHot', active: 1 })]);
  });

  it('bad filters are refused with VALIDATION_FAILED and read nothing', async () => {
    await expect(walletctl('deposits', '--status', 'nope')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(walletctl('withdrawals', '--limit', '0')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(walletctl('withdrawals', '--limit', '1e3')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(walletctl('balances')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
