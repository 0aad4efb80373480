import { randomBytes } from 'node:crypto';
import { appendAudit } from '@wallet/audit';
import { AssetRegistry } from '@wallet/assets';
import { type EvmAdapter, createChainAdapter, isEvmAdapter } from '@wallet/chains';
import { type Db, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userPrincipal } from '../review/Principal.js';
import { assetHalts, releaseAsset } from '../review/assetHalts.js';
import { assertSigningAllowed } from '../review/signingAllowed.js';
import { measureTreasury } from './measureTreasury.js';
import { reconcile } from './reconcile.js';
import { Reconciler } from './Reconciler.js';
import { reconciliationHistory } from './reconciliationHistory.js';
import { createTestDatabase } from '@wallet/testkit';

// Reconciliation on MariaDB and the stack's anvil: the books written as transrv and the scanner write them, the
// holdings read from the node at the scanner's recorded block (random addresses whose balances only this test sets),
// the exact figures, the tolerance's edge, the per-asset halt inside signing transactions, and its release.

const rpcUrl = process.env['ETH_RPC_URL'] ?? 'http://127.0.0.1:8545';
const chainId = Number(process.env['ETH_CHAIN_ID'] ?? 31337);
const log = createLogger('reconcile-int', { level: 'silent' });

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}
const hex = (v: bigint) => `0x${v.toString(16)}`;
const address = () => `0x${randomBytes(20).toString('hex')}`;
const word = (v: bigint | string) => `0x${(typeof v === 'bigint' ? v.toString(16) : v.slice(2)).padStart(64, '0')}`;

// A token that answers any call with the storage word keyed by its first argument: balanceOf(a) returns slot a.
// runtime: PUSH1 4 CALLDATALOAD SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
const tokenRuntime = '0x6004355460005260206000f3';

let db: Db;
let drop: () => Promise<void>;
let adapter: EvmAdapter;
let registry: AssetRegistry;
const token = address();
const admin = userPrincipal('root', 'admin');

/** Sets the native and token balances of addresses, then mines: the block that holds them is the scanner's tip. */
async function chainState(eth: Record<string, bigint>, usdt: Record<string, bigint>): Promise<void> {
  for (const [a, v] of Object.entries(eth)) await rpc('anvil_setBalance', [a, hex(v)]);
  for (const [a, v] of Object.entries(usdt)) await rpc('anvil_setStorageAt', [token, word(a), word(v)]);
  await rpc('evm_mine');
  const tip = Number(await rpc<string>('eth_blockNumber'));
  await db('chain_blocks').where({ chain: 'eth' }).delete();
  await db('chain_blocks').insert({ chain: 'eth', number: tip, hash: `0x${'ab'.repeat(32)}`, parent_hash: `0x${'cd'.repeat(32)}` });
}

/** A Reconciler whose schedule never fires during a test (its passes are called directly). */
const hourlyReconciler = () =>
  new Reconciler({ db, log, registry, evm: new Map([['eth', adapter]]), audit: appendAudit, tolerances: {}, intervalMs: 3_600_000 });

const ids = { n: 0 };
const id = (p: string) => `${p}_${Date.now()}_${++ids.n}`;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await rpc('anvil_setCode', [token, tokenRuntime]);
  registry = AssetRegistry.parse({
    chains: [
      { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: chainId, nativeAsset: 'ETH' },
      { id: 'ltc', kind: 'utxo', network: 'regtest', family: 'ltc', nativeAsset: 'LTC' },
    ],
    assets: [
      { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 1, minWithdrawal: '1', withdrawalFee: '0' },
      { id: 'USDT', chain: 'eth', decimals: 6, confirmations: 1, minWithdrawal: '1', withdrawalFee: '0', contract: token },
      { id: 'LTC', chain: 'ltc', decimals: 8, confirmations: 1, minWithdrawal: '1', withdrawalFee: '0' },
    ],
  });
  const a = await createChainAdapter({
    chain: registry.chains.get('eth')!,
    assets: [...registry.assets.values()].filter((x) => x.chain === 'eth'),
    rpcUrl,
  });
  if (!isEvmAdapter(a)) throw new Error('expected an EVM adapter');
  adapter = a;
});

afterAll(async () => {
  await adapter?.close();
  await drop?.();
});

describe('reconciliation', () => {
  const hot = address();
  const fee = address();
  const cold = address();
  const dep1 = address();
  const dep2 = address();

  it('measures liabilities (available + frozen + pending) against hot, fee, deposit, in flight and cold, exactly', async () => {
    await db('transrv_nodes').insert({ node_id: 'n1' });
    await db('clients').insert({ id: 'cl', name: 'c', key_id: 'k1' });
    await db('accounts').insert([0, 1].map((i) => ({ id: `acc_${i}`, client_id: 'cl', external_id: `e${i}`, node_id: 'n1' })));
    await db('hot_wallets').insert({ chain: 'eth', address: hot, active: true });
    await db('operated_addresses').insert([
      { chain: 'eth', address: fee, role: 'fee' },
      { chain: 'eth', address: cold, role: 'cold' },
    ]);
    for (const [i, a] of [dep1, dep2].entries()) {
      await db('addresses').insert({
        chain: 'eth',
        address: a,
        derivation_index: i,
        path: `m/0/${i}`,
        account_id: `acc_${i}`,
        client_id: 'cl',
      });
    }
    await db('balances').insert([
      { account_id: 'acc_0', asset: 'ETH', available: '1000000000000000000', frozen: '300' },
      { account_id: 'acc_1', asset: 'ETH', available: '5', frozen: '0' },
      { account_id: 'acc_0', asset: 'USDT', available: '7000000', frozen: '0' },
    ]);
    // pending: counted; credited (already in balances) and internal ones: not
    const deposit = (amount: string, status: string, internal = 0) => ({
      id: id('dep'),
      chain: 'eth',
      txid: `0x${randomBytes(32).toString('hex')}`,
      output_index: 0,
      asset: 'ETH',
      address: dep1,
      account_id: 'acc_0',
      node_id: 'n1',
      client_id: 'cl',
      amount,
      status,
      internal,
    });
    await db('deposits').insert([deposit('40', 'pending'), deposit('999', 'credited'), deposit('77', 'pending', 1)]);
    // in flight: a signed withdrawal mined (observed), whose amount left the hot wallet; an unmined one is not
    const withdrawal = (amount: string, txid: string) => ({
      id: id('wd'),
      client_id: 'cl',
      account_id: 'acc_0',
      node_id: 'n1',
      idempotency_key: id('k'),
      request_hash: 'h',
      chain: 'eth',
      asset: 'ETH',
      to_address: address(),
      amount,
      fee: '0',
      localhash: 'l',
      status: 'broadcast',
      txid,
    });
    const mined = `0x${randomBytes(32).toString('hex')}`;
    const w1 = withdrawal('200', mined);
    await db('withdrawals').insert([w1, withdrawal('100', `0x${randomBytes(32).toString('hex')}`)]);
    await db('withdrawal_observations').insert({
      chain: 'eth',
      txid: mined,
      from_address: hot,
      withdrawal_id: w1.id,
      status: 'success',
      fee: '21000',
      block_number: 1,
      block_hash: 'b',
    });
    await chainState(
      { [hot]: 10n ** 18n - 1000n, [fee]: 100n, [dep1]: 700n, [dep2]: 0n, [cold]: 3n },
      { [hot]: 6_000_000n, [dep2]: 1_000_000n },
    );

    const figures = await measureTreasury(db, registry, new Map([['eth', adapter]]));
    const eth = figures.find((f) => f.asset === 'ETH')!;
    expect(eth).toMatchObject({
      available: 10n ** 18n + 5n,
      frozen: 300n,
      pending: 40n,
      liabilities: 10n ** 18n + 345n,
      hot: 10n ** 18n - 1000n,
      fee: 100n,
      deposit: 700n,
      inFlight: 200n,
      cold: 3n,
      holdings: 10n ** 18n + 3n,
      difference: -342n,
    });
    const usdt = figures.find((f) => f.asset === 'USDT')!;
    expect(usdt).toMatchObject({ liabilities: 7_000_000n, hot: 6_000_000n, deposit: 1_000_000n, inFlight: 0n, difference: 0n });
  });

  it("UTXO chains: the scanner's unspent outputs, the wallet's own as hot and the rest as deposit addresses", async () => {
    const utxo = (vout: number, account: string, amount: string, spent = false) => ({
      chain: 'ltc',
      txid: 'ab'.repeat(32),
      vout,
      script: `0014${'00'.repeat(20)}`,
      amount,
      block_number: 1,
      block_hash: 'b',
      account_id: account,
      ...(spent ? { spent_by_txid: 'cd'.repeat(32), spent_block_number: 2, spent_block_hash: 'c' } : {}),
    });
    await db('utxos').insert([
      utxo(0, 'acc_0', '1000'),
      utxo(1, 'acc_1', '50', true),
      utxo(2, 'sys:chain:ltc:wallet', '7000'),
      utxo(3, 'sys:chain:ltc:wallet', '9', true),
    ]);
    await db('balances').insert({ account_id: 'acc_1', asset: 'LTC', available: '8001', frozen: '0' });
    const [ltc] = await measureTreasury(db, registry, new Map([['eth', adapter]]), ['LTC']);
    expect(ltc).toMatchObject({ liabilities: 8001n, hot: 7000n, deposit: 1000n, inFlight: 0n, cold: 0n, difference: -1n, block: null });
    await db('balances').where({ account_id: 'acc_1', asset: 'LTC' }).update({ available: '8000' });
  });

  it("UTXO chains with a watched cold address: read from the node at the scanner's block, else not judged this pass", async () => {
    await db('operated_addresses').insert({ chain: 'ltc', address: 'rltc1qcold', role: 'cold' });
    await db('chain_blocks').insert({ chain: 'ltc', number: 40, hash: `0x${'ef'.repeat(32)}`, parent_hash: `0x${'fe'.repeat(32)}` });
    const asked: string[][] = [];
    const at = (height: number) =>
      new Map([['ltc', async (addresses: readonly string[]) => (asked.push([...addresses]), { height, total: 123n })]]);
    const [ltc] = await measureTreasury(db, registry, new Map([['eth', adapter]]), ['LTC'], undefined, at(40));
    expect(ltc).toMatchObject({ cold: 123n, hot: 7000n, deposit: 1000n, block: 40 });
    expect(asked).toEqual([['rltc1qcold']]);
    // The node a block ahead of the scanner: the two reads are of different points of the chain.
    const skipped: [string, unknown][] = [];
    expect(await measureTreasury(db, registry, new Map([['eth', adapter]]), ['LTC'], (a, e) => skipped.push([a, e]), at(41))).toEqual([]);
    expect(skipped.map(([a, e]) => [a, isWalletError(e) && e.details['reason']])).toEqual([['LTC', 'heights_differ']]);
    // No reader for the chain: not judged either (never a cold of 0, which would fake a shortfall).
    skipped.length = 0;
    expect(await measureTreasury(db, registry, new Map([['eth', adapter]]), ['LTC'], (a, e) => skipped.push([a, e]))).toEqual([]);
    expect(skipped.map(([a]) => a)).toEqual(['LTC']);
    await db('operated_addresses').where({ chain: 'ltc', address: 'rltc1qcold' }).delete();
    await db('chain_blocks').where({ chain: 'ltc' }).delete();
  });

  it('at the tolerance does not halt; one base unit beyond halts that asset only, alarms, and is kept in the history', async () => {
    const deps = { db, log, registry, evm: new Map([['eth', adapter]]), audit: appendAudit };
    const atEdge = await reconcile({ ...deps, tolerances: { ETH: 342n } }, 'schedule');
    expect(atEdge.find((r) => r.asset === 'ETH')).toMatchObject({ short: false, halted: false, difference: -342n });
    expect((await assetHalts(db)).filter((h) => h.halted)).toEqual([]);

    const beyond = await reconcile({ ...deps, tolerances: { ETH: 341n } }, 'schedule');
    const eth = beyond.find((r) => r.asset === 'ETH')!;
    expect(eth).toMatchObject({ short: true, halted: true, difference: -342n, tolerance: 341n });
    expect(beyond.find((r) => r.asset === 'USDT')).toMatchObject({ short: false, halted: false });
    const halts = await assetHalts(db);
    expect(halts.filter((h) => h.halted).map((h) => h.asset)).toEqual(['ETH']);
    expect(halts[0]).toMatchObject({ haltedBy: 'reconciliation', shortfall: 342n, shortfallSince: eth.shortSince });

    const alarms = await db('sign_alerts').where({ kind: 'reconciliation_shortfall' }).select<{ details: string }[]>('details');
    expect(alarms).toHaveLength(1);
    expect(JSON.parse(alarms[0]!.details)).toMatchObject({
      asset: 'ETH',
      shortfall: '342',
      tolerance: '341',
      since: eth.shortSince!.toISOString(),
    });

    // a second short pass: still halted, since unchanged, no second alarm
    const again = await reconcile({ ...deps, tolerances: { ETH: 341n } }, 'schedule');
    expect(again.find((r) => r.asset === 'ETH')).toMatchObject({ short: true, halted: true, shortSince: eth.shortSince });
    expect(await db('sign_alerts').where({ kind: 'reconciliation_shortfall' }).pluck('id')).toHaveLength(1);

    const history = await reconciliationHistory(db, 'ETH');
    expect(history.map((h) => [h.difference, h.tolerance, h.short, h.halted])).toEqual([
      [-342n, 341n, true, true],
      [-342n, 341n, true, true],
      [-342n, 342n, false, false],
    ]);
  });

  it('a halted asset is refused inside signing transactions (SIGNING_PAUSED); other assets sign; only an admin releases', async () => {
    const refusal = await withTransaction(db, (trx) => assertSigningAllowed(trx, ['USDT', 'ETH'])).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isWalletError(refusal) && refusal.code).toBe('SIGNING_PAUSED');
    expect(isWalletError(refusal) && refusal.details).toMatchObject({ asset: 'ETH', pausedBy: 'reconciliation', shortfall: '342' });
    await withTransaction(db, (trx) => assertSigningAllowed(trx, ['USDT']));

    const byAuditor = await releaseAsset(db, appendAudit, userPrincipal('bob', 'auditor'), 'ETH', 'ok').catch((e: unknown) => e);
    expect(isWalletError(byAuditor) && byAuditor.code).toBe('FORBIDDEN');
    const noReason = await releaseAsset(db, appendAudit, admin, 'ETH', ' ').catch((e: unknown) => e);
    expect(isWalletError(noReason) && noReason.code).toBe('VALIDATION_FAILED');

    // the loss is made good (the cold wallet refilled the hot one), then the admin releases
    await chainState({ [hot]: 10n ** 18n - 658n }, {});
    const released = await releaseAsset(db, appendAudit, admin, 'ETH', 'refilled from cold');
    expect(released).toMatchObject({ halted: false, releasedBy: 'user:root' });
    await withTransaction(db, (trx) => assertSigningAllowed(trx, ['ETH']));
    const audit = await db('audit_log')
      .whereIn('action', ['asset_signing_halted', 'asset_signing_released'])
      .orderBy('seq')
      .pluck('action');
    expect(audit).toEqual(['asset_signing_halted', 'asset_signing_released']);
    const again = await releaseAsset(db, appendAudit, admin, 'ETH', 'twice').catch((e: unknown) => e);
    expect(isWalletError(again) && again.code).toBe('CONFLICT');

    const pass = await reconcile({ db, log, registry, evm: new Map([['eth', adapter]]), audit: appendAudit, tolerances: {} }, 'schedule');
    expect(pass.find((r) => r.asset === 'ETH')).toMatchObject({ difference: 0n, short: false, halted: false });
  });

  it('an asset whose holdings cannot be read is skipped with its reason; the others are measured', async () => {
    const noCode = address();
    const withBad = AssetRegistry.parse({
      chains: [{ id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: chainId, nativeAsset: 'ETH' }],
      assets: [
        { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 1, minWithdrawal: '1', withdrawalFee: '0' },
        { id: 'BAD', chain: 'eth', decimals: 6, confirmations: 1, minWithdrawal: '1', withdrawalFee: '0', contract: noCode },
      ],
    });
    const skipped: [string, unknown][] = [];
    const figures = await measureTreasury(db, withBad, new Map([['eth', adapter]]), undefined, (asset, error) =>
      skipped.push([asset, error]),
    );
    expect(figures.map((f) => f.asset)).toEqual(['ETH']);
    expect(skipped.map(([asset, error]) => [asset, isWalletError(error) && error.details['reason']])).toEqual([['BAD', 'not_a_token']]);
  });

  it('after a settlement batch: a pass of the assets it touched (deposits, spends, fees), none for transfers between users', async () => {
    const reconciler = hourlyReconciler();
    const line = (entry: string, kind: string, asset: string, amount: string, account: string) => ({
      entry_id: entry,
      node_id: 'n1',
      account_id: account,
      asset,
      bucket: 'available',
      amount,
      kind,
      ref_id: 'r',
    });
    expect(await reconciler.afterSettlement()).toEqual([]); // the first look sets the mark
    await db('journal').insert([line('e_t', 'transfer_out', 'ETH', '-1', 'acc_a'), line('e_t', 'transfer_in', 'ETH', '1', 'acc_b')]);
    expect(await reconciler.afterSettlement()).toEqual([]);
    const before = await db('reconciliation_runs').where({ triggered_by: 'settlement' }).count<{ n: number }[]>({ n: '*' });
    await db('journal').insert([line('e_d', 'deposit', 'ETH', '-7', 'sys:chain:eth:inflow'), line('e_d', 'deposit', 'ETH', '7', 'acc_a')]);
    expect(await reconciler.afterSettlement()).toEqual(['ETH']);
    const runs = await db('reconciliation_runs').where({ triggered_by: 'settlement' }).select<{ asset: string }[]>('asset');
    expect(runs.length).toBe(Number(before[0]!.n) + 1);
    expect(runs.at(-1)!.asset).toBe('ETH');
    expect(await reconciler.afterSettlement()).toEqual([]);
    await reconciler.stop();
  });

  it('alarms at once on a journal entry that does not sum to zero, once per break', async () => {
    const reconciler = hourlyReconciler();
    expect(await reconciler.checkLedger()).toBe(0);
    await db('journal').insert({
      entry_id: 'e_broken',
      node_id: 'n1',
      account_id: 'acc_9',
      asset: 'ETH',
      bucket: 'available',
      amount: '5',
      kind: 'x',
      ref_id: 'r',
    });
    expect(await reconciler.checkLedger()).toBe(2); // the entry, and the asset's whole journal
    expect(await reconciler.checkLedger()).toBe(0);
    const details = (await db('sign_alerts').where({ kind: 'journal_unbalanced' }).orderBy('id').pluck<string[]>('details')).map(
      (d) => JSON.parse(d) as unknown,
    );
    expect(details).toEqual([
      { entryId: 'e_broken', asset: 'ETH', sum: '5' },
      { entryId: null, asset: 'ETH', sum: '5' },
    ]);
    await reconciler.stop();
  });
});
