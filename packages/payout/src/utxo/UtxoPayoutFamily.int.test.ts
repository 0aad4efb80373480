import { randomBytes } from 'node:crypto';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { JsonRpcClient, type UtxoAdapter, addressToScript, createUtxoAdapter } from '@wallet/chains';
import { type Db, withTransaction } from '@wallet/db';
import { accountDerivationPath, publicKeyToAddress, utxoNetwork } from '@wallet/keys';
import { createLogger } from '@wallet/logger';
import { type PsbtSigner, SeedVault, psbtSigner } from '@wallet/signer';
import type { WithdrawalRow } from '@wallet/withdrawal-protocol';
import { appendAudit } from '@wallet/audit';
import { LedgerKind, SystemAccount, postEntry } from '@wallet/ledger';
import { applyResponse, bookConsolidationFees } from '@wallet/withdrawals';
import { Redis } from 'ioredis';
import { Psbt, Transaction, payments } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { InFlightTx } from '../PayoutFamily.js';
import { Payouts } from '../Payouts.js';
import { ResponseRelay } from '../ResponseRelay.js';
import { userPrincipal } from '../review/Principal.js';
import { newTxs } from '../txStore.js';
import { type UtxoPayoutFamilyOptions, UtxoPayoutFamily } from './UtxoPayoutFamily.js';
import { createTestDatabase } from '@wallet/testkit';

// The stack's litecoind (deploy/local/stack.sh): regtest, -txindex, a funded `miner` wallet.
const url = process.env['LTC_RPC_URL'] ?? 'http://wallet:wallet@127.0.0.1:19443';
const registry = AssetRegistry.parse(devRegistryInput);
const ltc = registry.chain('ltc');
const net = utxoNetwork('ltc', 'regtest');
const log = createLogger('test', { level: 'silent' });
const COIN = 100_000_000n;

let db: Db;
let drop: () => Promise<void>;
let adapter: UtxoAdapter;
let vault: SeedVault;
/** Derives the wallet's public keys (the families hold their own signer). */
let keys: PsbtSigner;
const miner = new JsonRpcClient({ url: `${url.replace(/\/$/, '')}/wallet/miner`, timeoutMs: 60_000 });
const families: UtxoPayoutFamily[] = [];
let nextIndex = 0;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  adapter = await createUtxoAdapter({ chain: ltc, assets: [registry.asset('LTC')], rpcUrl: url });
  vault = new SeedVault(randomBytes(16));
  keys = vault.signer(psbtSigner('ltc', 'regtest'), accountDerivationPath('ltc', 'regtest'));
  await db('clients').insert({ id: 'cl_1', name: 'c', key_id: 'k1', secret: 's' });
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('accounts').insert({ id: 'acc_1', client_id: 'cl_1', external_id: 'e1', node_id: 't1' });
});
afterAll(async () => {
  for (const f of families) await f.close().catch(() => undefined);
  await adapter.close();
  await miner.close();
  await drop();
});

/** A family of this test's wallet (its own signer and adapter connection). */
async function family(over: Partial<UtxoPayoutFamilyOptions> = {}): Promise<UtxoPayoutFamily> {
  const f = new UtxoPayoutFamily({
    chain: ltc,
    // The shared node's estimate follows the fee rates earlier runs paid (up to the clusters' default cap, 500 sat/vB):
    // this family's cap stays above it, so its builds and bumps pay the market (the cap itself is tested below).
    adapter: await createUtxoAdapter({ chain: ltc, assets: [registry.asset('LTC')], rpcUrl: url, fees: { maxSatPerVbyte: 1000n } }),
    signer: vault.signer(psbtSigner('ltc', 'regtest'), accountDerivationPath('ltc', 'regtest')),
    db,
    log,
    maxFeeRate: 1000n,
    ...over,
  });
  await f.init();
  families.push(f);
  return f;
}

async function mine(n = 1): Promise<{ hash: string; height: number }> {
  const to = await miner.call('getnewaddress', ['', 'bech32'], z.string());
  const hashes = await miner.call('generatetoaddress', [n, to], z.array(z.string()));
  const hash = hashes.at(-1)!;
  const header = await miner.call('getblockheader', [hash], z.object({ height: z.number(), previousblockhash: z.string() }));
  // What the scanner would record: the tip it has scanned.
  await db('chain_blocks')
    .insert({ chain: 'ltc', number: header.height, hash, parent_hash: header.previousblockhash })
    .onConflict(['chain', 'number'])
    .merge();
  return { hash, height: header.height };
}

/**
 * Pays `amounts` (litoshi) to fresh deposit addresses of this wallet and mines them; records the outputs in `utxos` as
 * the scanner would.
 */
async function fund(...amounts: bigint[]): Promise<{ txid: string; vout: number; amount: bigint }[]> {
  const outs: { address: string; amount: bigint; index: number }[] = [];
  for (const amount of amounts) {
    const index = nextIndex++;
    const address = publicKeyToAddress('ltc', 'regtest', keys.publicKey(0, index));
    await db('addresses').insert({
      chain: 'ltc',
      address,
      derivation_index: index,
      path: `m/84'/1'/0'/0/${index}`,
      account_id: 'acc_1',
      client_id: 'cl_1',
    });
    outs.push({ address, amount, index });
  }
  const txid = await miner.call('sendmany', ['', Object.fromEntries(outs.map((o) => [o.address, Number(o.amount) / 1e8]))], z.string());
  const block = await mine();
  const tx = Transaction.fromHex(await miner.call('getrawtransaction', [txid], z.string()));
  const found: { txid: string; vout: number; amount: bigint }[] = [];
  for (const o of outs) {
    const script = addressToScript('ltc', 'regtest', o.address).toString('hex');
    const vout = tx.outs.findIndex((out) => Buffer.from(out.script).toString('hex') === script);
    await db('utxos').insert({
      chain: 'ltc',
      txid,
      vout,
      script,
      amount: o.amount.toString(),
      block_number: block.height,
      block_hash: block.hash,
      account_id: 'acc_1',
    });
    found.push({ txid, vout, amount: o.amount });
  }
  return found;
}

let wd = 0;
/** An approved withdrawal to `to` (a fresh miner address by default) of `amount` litoshi. */
async function withdrawal(amount: bigint, to?: string): Promise<WithdrawalRow> {
  const id = `wd_${String(++wd).padStart(4, '0')}_${randomBytes(3).toString('hex')}`;
  const row = {
    id,
    client_id: 'cl_1',
    account_id: 'acc_1',
    node_id: 't1',
    idempotency_key: id,
    request_hash: 'aa'.repeat(32),
    chain: 'ltc',
    asset: 'LTC',
    to_address: to ?? (await miner.call('getnewaddress', ['', 'bech32'], z.string())),
    amount: amount.toString(),
    fee: '0',
    localhash: 'bb'.repeat(32),
    status: 'approved' as const,
  };
  await db('withdrawals').insert(row);
  await db('sign_requests').insert({
    withdrawal_id: id,
    node_id: 't1',
    localhash: row.localhash,
    decision: 'approved',
    decided_by: 'auditor:a',
    decided_at: db.raw('CURRENT_TIMESTAMP(3)'),
  });
  return (await db<WithdrawalRow>('withdrawals').where({ id }).first())!;
}

/** The signing transaction of the shared code, reduced to the family's part: reserve, sign. */
async function signBuilt(f: UtxoPayoutFamily, rows: readonly WithdrawalRow[]) {
  const built = await f.build(rows);
  expect([...built.errors.values()]).toEqual([]);
  return withTransaction(db, async (trx) => {
    const unsigned = await f.reserve(
      trx,
      rows.map((row) => ({ row, draft: built.drafts.get(row.id)! })),
    );
    return Promise.all(unsigned.map((u) => f.sign(u)));
  });
}

const scriptHex = (address: string) => addressToScript('ltc', 'regtest', address).toString('hex');

describe('UtxoPayoutFamily on the stack litecoind', () => {
  it('pays one withdrawal: exactly the approved output and change to a fresh wallet address; its inputs locked, then mined', async () => {
    const f = await family();
    const [coin] = await fund(COIN);
    const w = await withdrawal(30_000_000n);
    const built = await f.build([w]);
    const { buildId } = built.drafts.get(w.id)!;
    expect(await db('utxos').where({ txid: coin!.txid, vout: coin!.vout }).first('locked_by')).toEqual({ locked_by: buildId });
    expect(await db('utxo_builds').where({ id: buildId }).first('status')).toEqual({ status: 'built' });

    const [signed] = await withTransaction(db, async (trx) =>
      Promise.all((await f.reserve(trx, [{ row: w, draft: { buildId } }])).map((u) => f.sign(u))),
    );
    expect(await db('utxo_builds').where({ id: buildId }).first('status')).toEqual({ status: 'signed' });
    const tx = Transaction.fromHex(signed!.raw);
    expect(tx.getId()).toBe(signed!.txid);
    expect(tx.ins.map((i) => [Buffer.from(i.hash).reverse().toString('hex'), i.index])).toEqual([[coin!.txid, coin!.vout]]);
    expect(Buffer.from(tx.outs[0]!.script).toString('hex')).toBe(scriptHex(w.to_address));
    expect(tx.outs[0]!.value).toBe(30_000_000n);
    expect(tx.outs).toHaveLength(2);
    const change = await db('wallet_addresses')
      .where({ chain: 'ltc', address: scriptAddress(tx.outs[1]!.script) })
      .first<{ branch: number; derivation_index: string; role: string }>('branch', 'derivation_index', 'role');
    expect(change).toMatchObject({ branch: 1, role: 'change' });
    expect(Number(change.derivation_index)).toBeGreaterThanOrEqual(1);
    const fee = COIN - 30_000_000n - tx.outs[1]!.value;
    expect(signed!.members).toEqual([{ withdrawalId: w.id, columns: { vout: '0', network_fee: fee.toString() } }]);
    expect(fee).toBeGreaterThanOrEqual(BigInt(tx.virtualSize())); // at least 1 sat/vB for its real size

    const [stored] = newTxs('ltc', signed!, 0, new Map([[w.id, w]]));
    expect(f.verifySigned(stored!, w)).toEqual([]);
    expect(f.verifySigned(stored!, { ...w, amount: '30000001' })).toEqual(['call']);
    expect(f.verifySigned({ ...stored!, vout: '1' }, w)).toEqual(['call']);

    expect(await f.broadcast(stored!)).toBe('sent');
    expect(await f.isMined(signed!.txid)).toBe(false);
    await mine();
    expect(await f.isMined(signed!.txid)).toBe(true);
  });

  it('pays a batch in one transaction: each withdrawal its own output, fee shares by the vbytes of each output', async () => {
    const f = await family({ batch: { windowMs: 0, maxOutputs: 5 } });
    await fund(COIN, COIN);
    // A P2WSH destination (34-byte script) pays more of the fee than P2WPKH ones (22 bytes).
    const p2wsh = payments.p2wsh({ hash: randomBytes(32), network: net }).address!;
    const rows = [await withdrawal(10_000_000n), await withdrawal(20_000_000n, p2wsh), await withdrawal(150_000_000n)];
    const signed = await signBuilt(f, rows);
    expect(signed).toHaveLength(1);
    const tx = Transaction.fromHex(signed[0]!.raw);
    const members = signed[0]!.members;
    expect(members.map((m) => m.withdrawalId)).toEqual(rows.map((r) => r.id));
    for (const [i, r] of rows.entries()) {
      const vout = Number(members[i]!.columns!['vout']);
      expect(Buffer.from(tx.outs[vout]!.script).toString('hex')).toBe(scriptHex(r.to_address));
      expect(tx.outs[vout]!.value).toBe(BigInt(r.amount));
    }
    const shares = members.map((m) => BigInt(m.columns!['network_fee']!));
    const inputs = 2n * COIN;
    const fee = inputs - tx.outs.reduce((s, o) => s + o.value, 0n);
    expect(shares.reduce((a, b) => a + b, 0n)).toBe(fee);
    expect(shares[1]).toBeGreaterThan(shares[0]!);
    expect(await f.broadcast(newTxs('ltc', signed[0]!, 0, new Map(rows.map((r) => [r.id, r])))[0]!)).toBe('sent');
    await mine();
    expect(await f.isMined(signed[0]!.txid)).toBe(true);
  });

  it('defers a batch until the window has passed for its oldest approval, unless it is full', async () => {
    const f = await family({ batch: { windowMs: 60_000, maxOutputs: 2 } });
    const a = await withdrawal(1_000_000n);
    expect((await f.build([a])).deferred).toEqual(new Set([a.id]));
    expect(await db('utxo_build_members').where({ withdrawal_id: a.id })).toEqual([]);
    await fund(COIN);
    const b = await withdrawal(1_000_000n);
    const full = await f.build([a, b]);
    expect(full.deferred).toBeUndefined();
    expect(full.drafts.get(a.id)).toEqual(full.drafts.get(b.id));
    await db('sign_requests')
      .where({ withdrawal_id: a.id })
      .update({ decided_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 61 SECOND') });
    const c = await withdrawal(1_000_000n);
    const d = await withdrawal(1_000_000n);
    await db('sign_requests')
      .where({ withdrawal_id: c.id })
      .update({ decided_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 61 SECOND') });
    await fund(COIN);
    const due = await f.build([c, d].slice(0, 1));
    expect(due.drafts.has(c.id)).toBe(true);
    void d;
  });

  it('refuses an amount the wallet cannot cover with INSUFFICIENT_FUNDS, locking nothing', async () => {
    const f = await family();
    await mine(); // the chain is scanned (an unscanned chain is UNAVAILABLE)
    const w = await withdrawal(1_000_000n * COIN);
    const locked = async () => db('utxos').whereNotNull('locked_by').orderBy(['txid', 'vout']).select('txid', 'vout', 'locked_by');
    const before = await locked();
    const built = await f.build([w]);
    expect(built.errors.get(w.id)).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(await locked()).toEqual(before);
    expect(await db('utxo_build_members').where({ withdrawal_id: w.id })).toEqual([]);
  });

  type Tamper = (psbt: Psbt, ctx: { coin: { txid: string; vout: number; amount: bigint } }) => Psbt;
  /** A copy of `psbt` with its outputs (and inputs) as `edit` returns them. */
  function rebuilt(
    psbt: Psbt,
    edit: (
      ins: { hash: Uint8Array; index: number; sequence: number; witnessUtxo: { script: Uint8Array; value: bigint } }[],
      outs: { script: Uint8Array; value: bigint }[],
    ) => void,
  ): Psbt {
    const ins = psbt.txInputs.map((i, n) => ({
      hash: i.hash,
      index: i.index,
      sequence: i.sequence ?? 0xfffffffd,
      witnessUtxo: psbt.data.inputs[n]!.witnessUtxo!,
    }));
    const outs = psbt.txOutputs.map((o) => ({ script: o.script, value: o.value }));
    edit(ins, outs);
    const copy = new Psbt({ network: net });
    copy.setVersion(2);
    for (const i of ins) copy.addInput(i);
    for (const o of outs) copy.addOutput(o);
    return copy;
  }
  const attacker = payments.p2wpkh({ hash: Buffer.alloc(20, 9), network: net }).output!;
  const tampers: [string, Tamper, string][] = [
    ['an output amount raised', (p) => rebuilt(p, (_i, o) => void (o[0]!.value += 1_000n)), 'output_changed'],
    ['the payment redirected', (p) => rebuilt(p, (_i, o) => void (o[0]!.script = attacker)), 'output_changed'],
    ['an extra output', (p) => rebuilt(p, (_i, o) => void o.push({ script: attacker, value: 10_000n })), 'extra_output'],
    ['the change redirected', (p) => rebuilt(p, (_i, o) => void (o[1]!.script = attacker)), 'extra_output'],
    [
      'a foreign input',
      (p) =>
        rebuilt(
          p,
          (i) => void i.push({ hash: randomBytes(32), index: 0, sequence: 0xfffffffd, witnessUtxo: { script: attacker, value: 5_000n } }),
        ),
      'foreign_input',
    ],
    ['a fee above the bound', (p) => rebuilt(p, (_i, o) => void (o[1]!.value -= 5_000_000n)), 'fee_out_of_bounds'],
    [
      'an input amount understated',
      (p) => rebuilt(p, (i) => void (i[0]!.witnessUtxo = { ...i[0]!.witnessUtxo, value: i[0]!.witnessUtxo.value - 1n })),
      'input_mismatch',
    ],
  ];

  it('pays at most its cap: a market estimate above it is cut to it (a build at the market would fail its own check)', async () => {
    const f = await family({ maxFeeRate: 2n });
    const market = await adapter.feeEstimate();
    expect(market.satPerVbyte).toBeGreaterThan(2n);
    expect(await f.feeRate()).toMatchObject({ satPerVbyte: 2n });
  });

  it.each(tampers)('refuses a PSBT with %s: not signed, psbt_refused alarm, inputs released', async (_name, tamper, problem) => {
    const f = await family();
    const [coin] = await fund(COIN);
    const w = await withdrawal(40_000_000n);
    const built = await f.build([w]);
    const { buildId } = built.drafts.get(w.id)!;
    const row = await db('utxo_builds').where({ id: buildId }).first<{ psbt: string }>('psbt');
    const tampered = tamper(Psbt.fromBase64(row.psbt, { network: net }), { coin: coin! });
    await db('utxo_builds').where({ id: buildId }).update({ psbt: tampered.toBase64() });
    const unsigned = await withTransaction(db, (trx) => f.reserve(trx, [{ row: w, draft: { buildId } }]));
    expect(unsigned).toEqual([]);
    expect(await db('utxo_builds').where({ id: buildId }).first('status')).toEqual({ status: 'abandoned' });
    expect(await db('utxos').where({ txid: coin!.txid, vout: coin!.vout }).first('locked_by', 'locked_until')).toEqual({
      locked_by: null,
      locked_until: null,
    });
    const alert = await db('sign_alerts').where({ kind: 'psbt_refused', withdrawal_id: w.id }).first<{ details: string }>('details');
    expect(JSON.parse(alert.details)).toMatchObject({ buildId, problems: expect.arrayContaining([problem]) });
    // Built again from scratch, it is signed.
    const again = await signBuilt(f, [w]);
    expect(again).toHaveLength(1);
  });

  it('refuses to sign when an input lost its lock for the build (another build holds it)', async () => {
    const f = await family();
    const [coin] = await fund(COIN);
    const w = await withdrawal(40_000_000n);
    const { buildId } = (await f.build([w])).drafts.get(w.id)!;
    await db('utxos').where({ txid: coin!.txid, vout: coin!.vout }).update({ locked_by: 'bld_other' });
    expect(await withTransaction(db, (trx) => f.reserve(trx, [{ row: w, draft: { buildId } }]))).toEqual([]);
    const alert = await db('sign_alerts').where({ kind: 'psbt_refused', withdrawal_id: w.id }).first<{ details: string }>('details');
    expect(JSON.parse(alert.details).problems).toContain('input_not_locked');
    // The other build's lock is not touched by the refusal.
    expect(await db('utxos').where({ txid: coin!.txid, vout: coin!.vout }).first('locked_by')).toEqual({ locked_by: 'bld_other' });
  });

  it('a build never signed lapses: reconcile releases its inputs, and the withdrawal is built again', async () => {
    const f = await family({ buildLockMs: 1000 });
    const [coin] = await fund(COIN);
    const w = await withdrawal(40_000_000n);
    const first = (await f.build([w])).drafts.get(w.id)!.buildId;
    // Live: built again, the same build is kept.
    expect((await f.build([w])).drafts.get(w.id)!.buildId).toBe(first);
    await new Promise((r) => setTimeout(r, 1200));
    await f.reconcile();
    expect(await db('utxo_builds').where({ id: first }).first('status')).toEqual({ status: 'abandoned' });
    expect(await db('utxos').where({ txid: coin!.txid, vout: coin!.vout }).first('locked_by')).toEqual({ locked_by: null });
    const second = (await f.build([w])).drafts.get(w.id)!.buildId;
    expect(second).not.toBe(first);
  });

  it('a build whose withdrawal is no longer approved (voided, failed) is abandoned at once, its inputs free', async () => {
    const f = await family();
    const [coin] = await fund(COIN);
    const w = await withdrawal(40_000_000n);
    const { buildId } = (await f.build([w])).drafts.get(w.id)!;
    await f.reconcile();
    expect(await db('utxo_builds').where({ id: buildId }).first('status')).toEqual({ status: 'built' }); // still approved: kept
    await db('withdrawals').where({ id: w.id }).update({ status: 'failed' });
    await f.reconcile();
    expect(await db('utxo_builds').where({ id: buildId }).first('status')).toEqual({ status: 'abandoned' });
    expect(await db('utxos').where({ txid: coin!.txid, vout: coin!.vout }).first('locked_by')).toEqual({ locked_by: null });
  });

  it("an auditor's void drops the unsigned build that holds inputs for it, so transrv can end the withdrawal at once", async () => {
    // Found by the fault campaign (CI, seed 2): a void that landed between a build and its signing transaction left the
    // build live; transrv refuses a void while a build may still be signed, and the build was released only when the
    // withdrawal left `approved` on transrv: each waited for the other until the build lapsed (10 minutes).
    const f = await family();
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
    const run = randomBytes(4).toString('hex');
    try {
      const payouts = new Payouts({
        db,
        redis,
        ctxKey: `test:utxo-void:${run}:ctx`,
        registry,
        families: new Map([['ltc', f]]),
        limits: {},
        audit: appendAudit,
        relay: new ResponseRelay({ db, redis, stream: `test:utxo-void:${run}:rsp`, log }),
        log,
      });
      await fund(COIN, COIN);
      const w = await withdrawal(40_000_000n);
      const batchmate = await withdrawal(30_000_000n);
      // transrv froze the amount when it accepted the withdrawal.
      await withTransaction(db, (trx) =>
        postEntry(trx, {
          entryId: `${w.id}:freeze`,
          nodeId: 't1',
          refId: w.id,
          lines: [
            {
              accountId: SystemAccount.chainInflow('ltc'),
              asset: 'LTC',
              bucket: 'available',
              amount: -40_000_000n,
              kind: LedgerKind.deposit,
            },
            { accountId: 'acc_1', asset: 'LTC', bucket: 'frozen', amount: 40_000_000n, kind: LedgerKind.withdrawalFreeze },
          ],
        }),
      );
      // Built in a batch with another withdrawal, not yet signed.
      const batched = await family({ batch: { windowMs: 0, maxOutputs: 2 } });
      const built = await batched.build([w, batchmate]);
      const shared = built.drafts.get(w.id)!.buildId;
      expect(built.drafts.get(batchmate.id)!.buildId).toBe(shared);
      expect(await db('utxo_builds').where({ id: shared }).first('status')).toEqual({ status: 'built' });
      const locked = await db('utxos').where({ locked_by: shared }).pluck<string[]>('txid');
      expect(locked.length).toBeGreaterThan(0);

      await payouts.voidApproved(userPrincipal('bob', 'auditor'), w.id, 'the destination is sanctioned');
      expect(await db('utxo_builds').where({ id: shared }).first('status')).toEqual({ status: 'abandoned' });
      expect(await db('utxos').where({ locked_by: shared }).pluck('txid')).toEqual([]);
      // transrv applies the void now (before the fix: `unverified`, a build might still be signed) and gives the funds back.
      expect(
        await applyResponse(db, 't1', { v: 1, type: 'voided', withdrawalId: w.id, nodeId: 't1', actor: 'bob', reason: 'sanctioned' }),
      ).toBe('applied');
      expect(await db('withdrawals').where({ id: w.id }).first('status')).toEqual({ status: 'failed' });
      // Its batchmate is built again, alone.
      const again = (await f.build([batchmate])).drafts.get(batchmate.id)!.buildId;
      expect(again).not.toBe(shared);
    } finally {
      redis.disconnect();
    }
  });

  it('reconcile abandons a build whose withdrawal signsrv no longer approves, though transrv still shows it approved', async () => {
    const f = await family();
    await fund(COIN);
    const w = await withdrawal(40_000_000n);
    const { buildId } = (await f.build([w])).drafts.get(w.id)!;
    await db('sign_requests').where({ withdrawal_id: w.id }).update({ decision: 'voided' });
    await f.reconcile();
    expect(await db('utxo_builds').where({ id: buildId }).first('status')).toEqual({ status: 'abandoned' });
    expect(await db('utxos').where({ locked_by: buildId }).pluck('txid')).toEqual([]);
  });

  it('replaces a stuck transaction by fee: same inputs and payment, less change; one of the two is mined', async () => {
    const f = await family();
    await fund(COIN);
    const w = await withdrawal(25_000_000n);
    const [signed] = await signBuilt(f, [w]);
    const [stored] = newTxs('ltc', signed!, 0, new Map([[w.id, w]]));
    await db('withdrawal_txs').insert(
      Object.fromEntries(
        Object.entries(stored!).filter(([k]) => !['localhash', 'node_id', 'created_at', 'broadcast_at', 'last_broadcast_at'].includes(k)),
      ),
    );
    expect(await f.broadcast(stored!)).toBe('sent');
    const inFlight = { ...stored!, localhash: w.localhash, node_id: 't1' } as InFlightTx;
    expect(f.mayReplace()).toBe(true);
    const plan = await f.planReplacement(inFlight);
    expect(plan).not.toBeNull();
    expect(plan!.feeRate).toBeGreaterThan(BigInt(String(stored!['fee_rate'])));
    const replacement = await f.signReplacement(plan!);
    const [a, b] = [Transaction.fromHex(signed!.raw), Transaction.fromHex(replacement.raw)];
    expect(b.ins.map((i) => Buffer.from(i.hash).toString('hex'))).toEqual(a.ins.map((i) => Buffer.from(i.hash).toString('hex')));
    expect(b.outs[0]).toEqual(a.outs[0]); // the payment, unchanged
    expect(b.outs[1]!.value).toBeLessThan(a.outs[1]!.value); // the change pays the bump
    expect(replacement.members[0]!.columns!['network_fee']).toBe(String(COIN - 25_000_000n - b.outs[1]!.value));
    expect(await f.broadcast(newTxs('ltc', replacement, 1, new Map([[w.id, w]]))[0]!)).toBe('sent');
    expect(await adapter.confirmations(signed!.txid)).toBeNull(); // evicted by the replacement
    await mine();
    expect(await f.isMined(replacement.txid)).toBe(true);
    expect(await f.isMined(signed!.txid)).toBe(false);
  });
});

describe('UTXO consolidation on the stack litecoind', () => {
  it('merges 100 small outputs into one of the main address: checked, signed, sent, booked once confirmed', async () => {
    const f = await family({ confirmations: 2 });
    // Outputs locked by others are not taken.
    await db('utxos')
      .whereNull('spent_by_txid')
      .update({ spent_by_txid: 'ff'.repeat(32) }); // earlier tests' leftovers: not ours to merge here
    const coins = await fund(...Array.from({ length: 100 }, (_, i) => 100_000n + BigInt(i)));
    const total = coins.reduce((s, c) => s + c.amount, 0n);
    // Customers' deposits, with 1 of the 2 confirmations a deposit needs before it is spent: nothing to merge yet.
    await expect(f.consolidations.consolidate(100)).rejects.toMatchObject({ details: { reason: 'too_few_utxos' } });
    await mine();
    const built = await f.consolidations.consolidate(100);
    expect(built.inputs).toBe(100);
    expect(built.amount + built.fee).toBe(total);
    const row = await db('utxo_builds').where({ id: built.buildId }).first<{ raw: string }>();
    expect(row).toMatchObject({ kind: 'consolidation', status: 'broadcast', txid: built.txid, inputs: 100 });
    const tx = Transaction.fromHex(row.raw);
    expect(tx.ins).toHaveLength(100);
    expect(tx.outs).toHaveLength(1);
    expect(scriptAddress(tx.outs[0]!.script)).toBe(f.address);
    expect(await db('utxos').where({ locked_by: built.buildId }).count({ n: '*' })).toEqual([{ n: '100' }]);
    // Too few outputs left to merge: refused, nothing locked.
    await expect(f.consolidations.consolidate(100)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'too_few_utxos' },
    });

    const block = await mine();
    // What the scanner records when it sees the spend:
    await db('withdrawal_observations').insert({
      chain: 'ltc',
      txid: built.txid,
      from_address: '',
      status: 'success',
      fee: built.fee.toString(),
      block_number: block.height,
      block_hash: block.hash,
    });
    await f.consolidations.pass();
    expect(await db('utxo_builds').where({ id: built.buildId }).first('status')).toEqual({ status: 'broadcast' }); // 1 of 2 confirmations
    await mine();
    await f.consolidations.pass();
    await f.consolidations.pass();
    expect(await db('utxo_builds').where({ id: built.buildId }).first('status')).toEqual({ status: 'confirmed' });
    // transrv books the fee (it owns the journal): two nodes' passes book it once.
    expect(await db('journal').where({ ref_id: built.buildId })).toEqual([]);
    const booked = await Promise.all([bookConsolidationFees(db, 't1', registry, log), bookConsolidationFees(db, 't2', registry, log)]);
    expect(booked.flat()).toEqual([built.buildId]);
    expect(await bookConsolidationFees(db, 't1', registry, log)).toEqual([]);
    const lines = await db('journal').where({ ref_id: built.buildId }).orderBy('amount').select('account_id', 'amount', 'kind');
    expect(lines).toEqual([
      { account_id: 'sys:fees:LTC', amount: `-${built.fee}`, kind: 'network_fee' },
      { account_id: 'sys:chain:ltc:network_fees', amount: built.fee.toString(), kind: 'network_fee' },
    ]);
    expect(await f.isMined(built.txid)).toBe(true);
  });

  it('answers a request made by hand (walletctl), and refuses one that cannot be built, in the request row', async () => {
    const f = await family();
    await db('utxos')
      .whereNull('spent_by_txid')
      .update({ spent_by_txid: 'ff'.repeat(32) });
    const [id] = await db('utxo_consolidation_requests').insert({ chain: 'ltc', max_inputs: 10, requested_by: 'ops' });
    await f.consolidations.pass();
    expect(await db('utxo_consolidation_requests').where({ id }).first('status', 'build_id')).toEqual({
      status: 'refused',
      build_id: null,
    });
    await fund(50_000n, 60_000n, 70_000n);
    const [again] = await db('utxo_consolidation_requests').insert({ chain: 'ltc', max_inputs: 10, requested_by: 'ops' });
    await f.consolidations.pass();
    const answered = await db('utxo_consolidation_requests')
      .where({ id: again })
      .first<{ status: string; build_id: string }>('status', 'build_id');
    expect(answered.status).toBe('built');
    expect(await db('utxo_builds').where({ id: answered.build_id }).first('kind', 'inputs')).toEqual({ kind: 'consolidation', inputs: 3 });
  });
});

function scriptAddress(script: Uint8Array): string {
  return payments.p2wpkh({ output: Buffer.from(script), network: net }).address!;
}
