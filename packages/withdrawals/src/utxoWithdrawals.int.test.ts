import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type Db, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { LedgerKind, SystemAccount, getBalances, postEntry } from '@wallet/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatedRoles, screenDestination } from '@wallet/withdrawal-protocol';
import { applyResponse, checkWithdrawalRequest, createWithdrawal, getWithdrawal } from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// Requests on the dev registry's LTC chain (regtest).
const registry = AssetRegistry.parse(devRegistryInput);

// Regtest addresses (BIP173/BIP350 programs under the rltc HRP).
const P2WPKH = 'rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7k693xs3';
const P2WSH = 'rltc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q22ldvf';
const P2TR = 'rltc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqsyzyjh';
const CHANGE = 'rltc1qqurswpc8qurswpc8qurswpc8qurswpc8ntpxlg';

let db: Db;
let drop: () => Promise<void>;
let seq = 0;

const code = (fn: () => unknown): { code: string; reason: unknown } | 'accepted' => {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, reason: error.details['reason'] };
    throw error;
  }
};

const request = (to: string, amount = 1_000_000n, accountId = 'acc_u') => ({
  clientId: 'c1',
  idempotencyKey: `k${++seq}`,
  requestHash: `h${seq}`,
  accountId,
  asset: 'LTC',
  to,
  amount,
});

const journalCount = async () => Number((await db('journal').count({ n: '*' }))[0]!.n);

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('clients').insert({ id: 'c1', name: 'c', key_id: 'k1', secret: 's' });
  await db('accounts').insert([
    { id: 'acc_u', client_id: 'c1', external_id: 'u', node_id: 't1' },
    { id: 'acc_v', client_id: 'c1', external_id: 'v', node_id: 't1' },
  ]);
  await withTransaction(db, (trx) =>
    postEntry(trx, {
      entryId: 'fund',
      nodeId: 't1',
      refId: 'fund',
      lines: [
        { accountId: SystemAccount.chainInflow('ltc'), asset: 'LTC', bucket: 'available', amount: -(10n ** 9n), kind: LedgerKind.deposit },
        { accountId: 'acc_u', asset: 'LTC', bucket: 'available', amount: 10n ** 9n, kind: LedgerKind.deposit },
      ],
    }),
  );
  // acc_v's deposit address (P2WSH) and a change address of the wallet
  await db('addresses').insert({ chain: 'ltc', address: P2WSH, derivation_index: 0, path: 'm', account_id: 'acc_v', client_id: 'c1' });
  await db('wallet_addresses').insert({ chain: 'ltc', address: CHANGE, branch: 1, derivation_index: 1, role: 'change' });
});
afterAll(async () => drop?.());

describe('LTC withdrawal requests (regtest)', () => {
  it('destinations are judged for the chain’s network with their checksum, and answered canonical (lower-case bech32)', () => {
    const check = (to: string) => code(() => checkWithdrawalRequest(registry, { asset: 'LTC', to, amount: 1_000_000n }));
    for (const to of [P2WPKH, P2WSH, P2TR]) expect(check(to)).toBe('accepted');
    expect(checkWithdrawalRequest(registry, { asset: 'LTC', to: P2WPKH.toUpperCase(), amount: 1_000_000n }).to).toBe(P2WPKH);
    // mainnet Litecoin (bech32, base58 P2PKH), Bitcoin mainnet and testnet: another network
    for (const to of [
      'ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9',
      'LT2KVaAy1ppRuxRgrS5RNU3vBsy7RibPeA',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx',
    ]) {
      expect(check(to), to).toEqual({ code: 'INVALID_ADDRESS', reason: 'NETWORK' });
    }
    // the last character changed: the bech32 checksum fails; mixed case is no bech32 at all
    expect(check(`${P2WPKH.slice(0, -1)}4`)).toEqual({ code: 'INVALID_ADDRESS', reason: 'FORMAT' });
    expect(check(`${P2WPKH.slice(0, 10)}${P2WPKH.slice(10).toUpperCase()}`)).toEqual({ code: 'INVALID_ADDRESS', reason: 'FORMAT' });
  });

  it('stores an upper-case bech32 destination lower-case and freezes amount + fee', async () => {
    const { withdrawal, created } = await createWithdrawal(db, 't1', registry, request(P2WPKH.toUpperCase()));
    expect(created).toBe(true);
    expect(withdrawal).toMatchObject({
      chain: 'ltc',
      to: P2WPKH,
      status: 'pending_review',
      internal: false,
      fee: 10_000n,
      outputIndex: null,
    });
    expect((await db('withdrawals').where({ id: withdrawal.id }).first<{ to_address: string }>()).to_address).toBe(P2WPKH);
  });

  it('a change address of the wallet is INVALID_DESTINATION operated_address, nothing frozen', async () => {
    expect(await operatedRoles(db, 'ltc', [CHANGE.toUpperCase(), P2WPKH])).toEqual(new Map([[CHANGE, 'change']]));
    const journal = await journalCount();
    const balances = await getBalances(db, 'acc_u', ['LTC']);
    const refused = await createWithdrawal(db, 't1', registry, request(CHANGE.toUpperCase())).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'INVALID_DESTINATION', details: { reason: 'operated_address' } });
    await expect(screenDestination(db, registry.chain('ltc'), CHANGE)).rejects.toMatchObject({ code: 'INVALID_DESTINATION' });
    expect(await journalCount()).toBe(journal);
    expect(await getBalances(db, 'acc_u', ['LTC'])).toEqual(balances);
  });

  it('a deposit address of the wallet makes an internal withdrawal (no fee)', async () => {
    const { withdrawal } = await createWithdrawal(db, 't1', registry, request(P2WSH));
    expect(withdrawal).toMatchObject({ internal: true, internalAccountId: 'acc_v', fee: 0n });
  });
});

describe('signsrv reports on a transaction paying several withdrawals', () => {
  const TXID = 'ab'.repeat(32);
  const BUMPED = 'cd'.repeat(32);

  async function approved(): Promise<string> {
    const { withdrawal } = await createWithdrawal(db, 't1', registry, request(P2TR));
    await db('withdrawals').where({ id: withdrawal.id }).update({ status: 'approved' });
    await db('sign_requests').insert({
      withdrawal_id: withdrawal.id,
      node_id: 't1',
      localhash: withdrawal.localhash,
      decision: 'approved',
    });
    return withdrawal.id;
  }
  const member = (txid: string, withdrawalId: string, attempt: number, vout: number) =>
    db('withdrawal_txs').insert({
      chain: 'ltc',
      txid,
      withdrawal_id: withdrawalId,
      attempt,
      from_address: '',
      raw: '00',
      vout,
      network_fee: '700',
    });
  const report = (type: 'signed' | 'broadcast', withdrawalId: string, txid: string) =>
    applyResponse(db, 't1', { v: 1, type, withdrawalId, nodeId: 't1', txid });

  it('each member is signed with the shared txid and its own output index, shown once signed; broadcast and a fee bump follow', async () => {
    const a = await approved();
    const b = await approved();
    await member(TXID, a, 0, 2);
    await member(TXID, b, 0, 0);
    expect(await report('signed', a, TXID)).toBe('applied');
    expect(await report('signed', b, TXID)).toBe('applied');
    expect(await getWithdrawal(db, a)).toMatchObject({ status: 'signed', txid: TXID, outputIndex: 2 });
    expect(await getWithdrawal(db, b)).toMatchObject({ status: 'signed', txid: TXID, outputIndex: 0 });
    // A report for a member the transaction does not pay is not backed by MySQL.
    const c = await approved();
    expect(await report('signed', c, TXID)).toBe('unverified');
    expect(await getWithdrawal(db, c)).toMatchObject({ status: 'approved', txid: null, outputIndex: null });

    await db('withdrawal_txs').where({ txid: TXID }).update({ broadcast_at: new Date() });
    expect(await report('broadcast', a, TXID)).toBe('applied');
    expect(await report('broadcast', b, TXID)).toBe('applied');
    // Replaced by fee (the outputs may be laid out anew): the withdrawal shows the replacement and its output.
    await member(BUMPED, a, 1, 1);
    await db('withdrawal_txs').where({ txid: BUMPED }).update({ broadcast_at: new Date() });
    expect(await report('broadcast', a, BUMPED)).toBe('applied');
    expect(await getWithdrawal(db, a)).toMatchObject({ status: 'broadcast', txid: BUMPED, outputIndex: 1 });
    expect(await getWithdrawal(db, b)).toMatchObject({ status: 'broadcast', txid: TXID, outputIndex: 0 });
  });

  it('a voided decision is not applied while a build holds inputs for the withdrawal; once the build is abandoned it is', async () => {
    const w = await approved();
    await db('sign_requests').where({ withdrawal_id: w }).update({ decision: 'voided', reason: 'no coins' });
    await db('utxo_builds').insert({
      id: `ub_${w}`,
      chain: 'ltc',
      kind: 'withdrawals',
      status: 'built',
      psbt: 'x',
      inputs: 1,
      input_total: '2000000',
      fee: '700',
      fee_rate: 5,
      vsize: 140,
      locked_until: new Date(Date.now() + 60_000),
    });
    await db('utxo_build_members').insert({ build_id: `ub_${w}`, withdrawal_id: w, vout: 0, network_fee: '700' });
    const voided = () => applyResponse(db, 't1', { v: 1, type: 'voided', withdrawalId: w, nodeId: 't1' });
    expect(await voided()).toBe('unverified');
    expect((await getWithdrawal(db, w))?.status).toBe('approved');
    await db('utxo_builds')
      .where({ id: `ub_${w}` })
      .update({ status: 'abandoned' });
    expect(await voided()).toBe('applied');
    expect((await getWithdrawal(db, w))?.status).toBe('failed');
  });
});
