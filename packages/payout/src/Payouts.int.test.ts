import { randomBytes } from 'node:crypto';
import { AssetRegistry } from '@wallet/assets';
import { type ChainAdapter, createChainAdapter } from '@wallet/chains';
import { type Db } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { SeedVault } from '@wallet/signer';
import { computeLocalhash, encodeMessage } from '@wallet/withdrawal-protocol';
import { appendAudit } from '@wallet/audit';
import { applyResponse } from '@wallet/withdrawals';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayoutFamily } from './createPayoutFamily.js';
import { ingestRequests } from './ingestRequest.js';
import type { PayoutFamily } from './PayoutFamily.js';
import { Payouts } from './Payouts.js';
import { ResponseRelay } from './ResponseRelay.js';
import { userPrincipal } from './review/Principal.js';
import type { ReviewView } from './reviewView.js';
import { type AnvilProcess, startAnvil, createTestDatabase } from '@wallet/testkit';

const alice = userPrincipal('alice', 'auditor');
const bob = userPrincipal('bob', 'auditor');

/**
 * An auditor approves the withdrawal as received; its transrv (played here by applyResponse, as transrv's consumer
 * calls it) moves the row to approved; then signsrv signs it.
 */
async function approveAndSign(w: { id: string; localhash: string }): Promise<ReviewView> {
  await approveApplied(w);
  await payouts.sign(w.id).catch(() => undefined);
  return payouts.get(w.id);
}

/** Approved by signsrv and applied by transrv, not yet signed. */
async function approveApplied(w: { id: string; localhash: string }): Promise<ReviewView> {
  const view = await payouts.approve(alice, w.id, { localhash: w.localhash });
  expect(await applyResponse(db, 't1', { v: 1, type: 'approved', withdrawalId: w.id, nodeId: 't1', actor: alice.id })).toBe('applied');
  return { ...view, status: 'approved' };
}

// The payout desk in-process, on a fresh MariaDB database, the stack's Redis and a private anvil (mining is switched
// off and on here): the shared code driving the EVM family through the PayoutFamily seam. The whole cluster's view is
// test/integration/withdrawal*.test.ts.

const chainId = 31347;
const registry = AssetRegistry.parse({
  chains: [
    { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: chainId, nativeAsset: 'ETH' },
    // In the registry, but signsrv has no family for it here (no node configured): nothing is ever signed on it.
    { id: 'eth9', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: 99999, nativeAsset: 'ETHN' },
  ],
  assets: [
    { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 1, minWithdrawal: '1', withdrawalFee: '1' },
    { id: 'ETHN', chain: 'eth9', decimals: 18, confirmations: 1, minWithdrawal: '1', withdrawalFee: '1' },
  ],
});
const log = createLogger('payouts-int', { level: 'silent' });
const run = randomBytes(4).toString('hex');

let db: Db;
let drop: () => Promise<void>;
let anvil: AnvilProcess;
let adapter: ChainAdapter;
let redis: Redis;
let family: PayoutFamily;
let payouts: Payouts;
const ctxKey = `test:payouts:${run}:ctx`;

async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(anvil.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: unknown };
  if (body.error) throw new Error(JSON.stringify(body.error));
  return body.result;
}

let seq = 0;
/** A withdrawal received by signsrv (pending review): its row as transrv stores it, and its blockout_req ingested. */
async function received(chain = 'eth', asset = 'ETH', amount = 10n ** 15n): Promise<{ id: string; localhash: string }> {
  const id = `wd_${run}${String(++seq).padStart(6, '0')}`;
  const to = `0x${randomBytes(20).toString('hex')}`.replace(/^0x0{4}/, '0x1111');
  const fields = { id, accountId: 'acc_1', chain, asset, to, amount, fee: 1n };
  const localhash = computeLocalhash(fields);
  await db('withdrawals').insert({
    id,
    client_id: 'cl_1',
    account_id: 'acc_1',
    node_id: 't1',
    idempotency_key: id,
    request_hash: 'r'.repeat(64),
    chain,
    asset,
    to_address: to,
    amount: amount.toString(),
    fee: '1',
    localhash,
    status: 'pending_review',
  });
  const { id: withdrawalId, ...message } = fields;
  const outcome = await ingestRequests(db, log, [encodeMessage({ v: 1, ...message, withdrawalId, nodeId: 't1', localhash })]);
  expect(outcome.queued).toBe(1);
  return { id, localhash };
}

async function outboxTypes(withdrawalId: string): Promise<string[]> {
  return db('sign_outbox').where({ withdrawal_id: withdrawalId }).orderBy('id').pluck<string[]>('type');
}

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  anvil = await startAnvil({ chainId });
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
  adapter = await createChainAdapter({ chain: registry.chain('eth'), assets: [registry.asset('ETH')], rpcUrl: anvil.rpcUrl });
  family = createPayoutFamily({
    chain: registry.chain('eth'),
    adapter,
    vault: new SeedVault(Uint8Array.from(randomBytes(16))),
    registry,
    db,
    log,
    maxFeePerGas: 500n * 10n ** 9n,
  });
  await rpc('anvil_setBalance', [family.address, `0x${(10n ** 20n).toString(16)}`]);
  await db('clients').insert({ id: 'cl_1', name: 'client', key_id: `k_${run}`, secret: 's' });
  payouts = new Payouts({
    db,
    redis,
    ctxKey,
    registry,
    families: new Map([['eth', family]]),
    limits: {},
    audit: appendAudit,
    relay: new ResponseRelay({ db, redis, stream: `test:payouts:${run}:rsp`, log }),
    log,
    // Every pass may replace and re-send at once: the test decides when passes run.
    bumpAfterMs: 0,
    rebroadcastAfterMs: 0,
  });
  await payouts.init();
});

afterAll(async () => {
  await payouts?.close(); // wipes the key, closes the adapter
  await redis?.del(ctxKey, `test:payouts:${run}:rsp`);
  redis?.disconnect();
  await anvil?.stop();
  await drop?.();
});

describe('Payouts with the EVM family (MariaDB, Redis, private anvil)', () => {
  it("records the family's address as the chain's active hot wallet", async () => {
    expect(await db('hot_wallets').where({ chain: 'eth' }).select('address', 'active')).toEqual([{ address: family.address, active: 1 }]);
  });

  it('approve signs, stores and sends through the family: nonce reserved, EVM columns, blockout_ctx, reports', async () => {
    const w = await received();
    const view = await approveAndSign(w);
    // transrv moves its row on the signed and broadcast reports, which nothing applies here.
    expect(view).toMatchObject({ decision: 'approved', nonce: 0, status: 'approved' });
    const tx = await db('withdrawal_txs').where({ withdrawal_id: w.id }).first();
    expect(tx).toMatchObject({ chain: 'eth', txid: view.txid, attempt: 0, from_address: family.address, gas_limit: '21000' });
    expect(Number(tx.nonce)).toBe(0);
    expect(tx.broadcast_at).not.toBeNull();
    expect(await db('nonce_assignments').where({ withdrawal_id: w.id }).pluck('nonce')).toEqual(['0']);
    expect(await redis.hget(ctxKey, view.txid!)).toBe(w.localhash);
    expect(await outboxTypes(w.id)).toEqual(['received', 'approved', 'signed', 'broadcast']);
    expect(await family.isMined(view.txid!)).toBe(true); // anvil mines each transaction at once
  });

  it('never voids a withdrawal whose family reserved inputs for it; voids an approved one never signed', async () => {
    const signed = await received();
    await approveAndSign(signed);
    await expect(payouts.voidApproved(bob, signed.id, 'too late')).rejects.toMatchObject({
      code: 'WITHDRAWAL_NOT_VOIDABLE',
      details: { state: 'signed' },
    });

    // Approved on a chain signsrv does not pay out on: signing fails, nothing is reserved, and it can be voided.
    const stranded = await received('eth9', 'ETHN');
    expect(await approveAndSign(stranded)).toMatchObject({ decision: 'approved', txid: null, nonce: null });
    const reserved = await received('eth9', 'ETHN');
    await approveApplied(reserved);
    // A nonce reserved without a stored transaction (as if a signature might exist): the family says it is reserved.
    await db('nonce_assignments').insert({ chain: 'eth', address: family.address, nonce: 1_000_000, withdrawal_id: reserved.id });
    await expect(payouts.voidApproved(bob, reserved.id, 'stuck')).rejects.toMatchObject({ code: 'WITHDRAWAL_NOT_VOIDABLE' });
    expect(await payouts.voidApproved(bob, stranded.id, 'cannot be paid')).toMatchObject({ decision: 'voided' });
    expect(await outboxTypes(stranded.id)).toEqual(['received', 'approved', 'voided']);
  });

  it('replaces a stuck transaction through the family (same nonce, higher fees), and one whose row was altered not at all', async () => {
    await rpc('evm_setAutomine', [false]);
    try {
      const stuck = await received();
      const view = await approveAndSign(stuck);
      await payouts.tick(); // the hot wallet's next nonce to be mined, older than bumpAfterMs (0): replaced
      const attempts = await db('withdrawal_txs').where({ withdrawal_id: stuck.id }).orderBy('attempt');
      expect(attempts.map((a: { attempt: number }) => a.attempt)).toEqual([0, 1]);
      const [first, second] = attempts as { txid: string; nonce: string; max_fee_per_gas: string; max_priority_fee_per_gas: string }[];
      expect(first!.txid).toBe(view.txid);
      expect(second!.nonce).toBe(first!.nonce);
      expect(BigInt(second!.max_fee_per_gas)).toBeGreaterThanOrEqual((BigInt(first!.max_fee_per_gas) * 110n) / 100n);
      expect(BigInt(second!.max_priority_fee_per_gas)).toBeGreaterThanOrEqual((BigInt(first!.max_priority_fee_per_gas) * 110n) / 100n);
      expect(await redis.hget(ctxKey, second!.txid)).toBe(stuck.localhash);
      await rpc('evm_mine');
      expect([await family.isMined(first!.txid), await family.isMined(second!.txid)]).toEqual([false, true]);

      const altered = await received();
      await approveAndSign(altered);
      await db('withdrawals').where({ id: altered.id }).update({ amount: '999' });
      await payouts.tick();
      expect(await db('withdrawal_txs').where({ withdrawal_id: altered.id }).pluck('attempt')).toEqual([0]);
      const alarm = await db('sign_alerts').where({ withdrawal_id: altered.id, kind: 'integrity_mismatch' }).first();
      expect(JSON.parse(alarm.details as string)).toMatchObject({ during: 'bump', fields: ['localhash', 'call'] });
      await rpc('evm_mine');
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
  });

  it('refuses to sign on a chain it has no family for', async () => {
    const w = await received('eth9', 'ETHN');
    await approveApplied(w);
    const error: unknown = await payouts.sign(w.id).catch((e: unknown) => e);
    expect(isWalletError(error, 'UNSUPPORTED_CHAIN')).toBe(true);
  });
});
