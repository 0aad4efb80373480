import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import type { EvmAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { EvmHotWallet, encodeErc20Transfer, parseSignedEip1559 } from '@wallet/signer';
import type { WithdrawalRow } from '@wallet/withdrawal-protocol';
import { describe, expect, it } from 'vitest';
import type { InFlightTx, SignedPayout } from '../PayoutFamily.js';
import { newTxs } from '../txStore.js';
import { EvmPayoutFamily } from './EvmPayoutFamily.js';

// The parts of the EVM family that need neither the node nor MySQL: signing, checking a stored transaction against
// the withdrawal, and planning a replacement while the node cannot be asked for fees. What touches anvil and MySQL is
// covered by the withdrawal cluster tests (test/integration/withdrawal*.test.ts).

const token = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const registry = AssetRegistry.parse({
  chains: devRegistryInput.chains,
  assets: [
    ...devRegistryInput.assets,
    { id: 'USDT', chain: 'eth', decimals: 6, confirmations: 3, minWithdrawal: '1', withdrawalFee: '1', contract: token },
  ],
});
const key = Uint8Array.from(Buffer.from('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318', 'hex'));
const gwei = 10n ** 9n;

/** The node as the family sees it when it is unreachable: only the chain id, known since start, answers. */
function unreachableNode(evmChainId = 31337): EvmAdapter {
  const down = () => Promise.reject(new WalletError('UNAVAILABLE', 'node unreachable'));
  return { chain: 'eth', evmChainId, feeEstimate: down, estimateGas: down, nonceOf: down } as unknown as EvmAdapter;
}

function family(options: { evmChainId?: number; maxFeePerGas?: bigint; signer?: EvmHotWallet } = {}): EvmPayoutFamily {
  return new EvmPayoutFamily({
    chain: registry.chain('eth'),
    adapter: unreachableNode(options.evmChainId),
    signer: options.signer ?? new EvmHotWallet(key, 'test'),
    registry,
    db: {} as Knex, // never used by what is tested here
    log: createLogger('test', { level: 'silent' }),
    maxFeePerGas: options.maxFeePerGas ?? 100n * gwei,
  });
}

function row(fields: Partial<WithdrawalRow> = {}): WithdrawalRow {
  return {
    id: 'wd_01JD3ZQ0000000000000000000',
    chain: 'eth',
    asset: 'ETH',
    to_address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    amount: '1000000000000000000',
    fee: '1',
    localhash: 'h',
    node_id: 't1',
    ...fields,
  } as WithdrawalRow;
}

/** Signs `w` as the signing transaction does (nonce given), and stores it as withdrawal_txs would. */
async function signed(f: EvmPayoutFamily, w: WithdrawalRow, nonce = 7): Promise<{ payout: SignedPayout; tx: InFlightTx }> {
  const draft = { call: callOf(w), gasLimit: 60_000n, fees: { maxFeePerGas: 20n * gwei, maxPriorityFeePerGas: 2n * gwei } };
  const payout = await f.sign({ ...draft, withdrawalId: w.id, nonce });
  return { payout, tx: newTxs('eth', payout, 0, new Map([[w.id, w]]))[0]! };
}

function callOf(w: WithdrawalRow) {
  if (w.asset === 'USDT') return { to: token, value: 0n, data: encodeErc20Transfer(w.to_address, BigInt(w.amount)) };
  return { to: w.to_address, value: BigInt(w.amount), data: '0x' };
}

describe('EvmPayoutFamily', () => {
  it('signs an EIP-1559 transaction from the hot wallet, with its nonce and fields in the columns', async () => {
    const f = family();
    const { payout, tx } = await signed(f, row());
    const parsed = parseSignedEip1559(payout.raw);
    expect(parsed).toMatchObject({ chainId: 31337, nonce: 7, to: row().to_address, value: 10n ** 18n, data: '0x', gasLimit: 60_000n });
    expect(parsed.from).toBe(f.address);
    expect(payout).toMatchObject({ members: [{ withdrawalId: row().id }], txid: parsed.txid, from: f.address, nonce: 7 });
    expect(payout.columns).toEqual({ gas_limit: '60000', max_fee_per_gas: '20000000000', max_priority_fee_per_gas: '2000000000' });
    expect(tx).toMatchObject({ nonce: '7', attempt: 0, from_address: f.address, gas_limit: '60000', broadcast_at: null });
  });

  it('finds a stored transaction intact when it pays exactly what the withdrawal says (ETH and a token)', async () => {
    const f = family();
    for (const w of [row(), row({ asset: 'USDT', amount: '2500000' })]) {
      const { tx } = await signed(f, w);
      expect(f.verifySigned(tx, w)).toEqual([]);
    }
  });

  it('finds `call` when the row no longer says what the transaction pays', async () => {
    const f = family();
    const { tx } = await signed(f, row());
    expect(f.verifySigned(tx, row({ to_address: '0x0000000000000000000000000000000000010000' }))).toEqual(['call']);
    expect(f.verifySigned(tx, row({ amount: '1000000000000000001' }))).toEqual(['call']);
    expect(f.verifySigned(tx, row({ asset: 'USDT' }))).toEqual(['call']);
    const { tx: tokenTx } = await signed(f, row({ asset: 'USDT', amount: '5' }));
    expect(f.verifySigned(tokenTx, row({ asset: 'USDT', amount: '6' }))).toEqual(['call']);
  });

  it('finds `signed_transaction` when the stored columns or the chain disagree with the signed bytes', async () => {
    const f = family();
    const { tx } = await signed(f, row());
    expect(f.verifySigned({ ...tx, nonce: '8' }, row())).toEqual(['signed_transaction']);
    expect(f.verifySigned({ ...tx, from_address: '0x0000000000000000000000000000000000010000' }, row())).toEqual(['signed_transaction']);
    expect(family({ evmChainId: 1 }).verifySigned(tx, row())).toEqual(['signed_transaction']);
  });

  it('plans a replacement with the same nonce, call and gas and fees raised 25 %, which verifies like the original', async () => {
    const f = family();
    const { tx } = await signed(f, row());
    const plan = await f.planReplacement(tx); // the node is unreachable: no market fees, the raise alone
    expect(plan).not.toBeNull();
    const replacement = await f.signReplacement(plan!);
    const parsed = parseSignedEip1559(replacement.raw);
    expect(parsed).toMatchObject({ nonce: 7, to: row().to_address, value: 10n ** 18n, gasLimit: 60_000n });
    expect(parsed).toMatchObject({ maxFeePerGas: 25n * gwei, maxPriorityFeePerGas: 2_500_000_000n });
    expect(replacement.txid).not.toBe(tx.txid);
    expect(f.verifySigned(newTxs('eth', replacement, 1, new Map([[tx.withdrawal_id, tx]]))[0]!, row())).toEqual([]);
  });

  it('plans no replacement when the fee cap leaves no room for one', async () => {
    const f = family({ maxFeePerGas: 21n * gwei });
    const { tx } = await signed(f, row());
    expect(await f.planReplacement(tx)).toBeNull();
  });

  it('knows its own key, in any case, and no other', () => {
    const f = family();
    expect(f.isActiveSender(f.address.toLowerCase())).toBe(true);
    expect(f.isActiveSender('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')).toBe(false);
  });

  it('replaces nothing before it has compared nonces with the chain, nor when the node is down', async () => {
    const f = family();
    const { tx } = await signed(f, row());
    expect(f.mayReplace(tx)).toBe(false);
    expect(await f.reconcile()).toEqual([]); // nonceOf fails: logged, nothing to re-send
    expect(f.mayReplace(tx)).toBe(false);
  });

  it('reports every build error per withdrawal (an unknown asset, the node down)', async () => {
    const built = await family().build([row({ id: 'wd_a' }), row({ id: 'wd_b', asset: 'DOGE' })]);
    expect(built.drafts.size).toBe(0);
    expect(built.errors.get('wd_a')).toMatchObject({ code: 'UNAVAILABLE' });
    expect(built.errors.get('wd_b')).toMatchObject({ code: 'UNSUPPORTED_ASSET' });
  });
});
