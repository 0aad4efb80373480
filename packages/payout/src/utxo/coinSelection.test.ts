import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { type CoinCandidate, P2WPKH_DUST_LIMIT, chooseCoins, vsizeOf } from './coinSelection.js';

const P2WPKH = `0014${'11'.repeat(20)}`;
const coin = (amount: bigint, vout = 0): CoinCandidate => ({ txid: 'aa'.repeat(32), vout, amount });

function codeOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return isWalletError(e) ? [e.code, e.details['reason']] : e;
  }
  return 'no error';
}

describe('chooseCoins', () => {
  it('balances in bigint: inputs = outputs + change + fee, fee at least feeRate × vsize', () => {
    const candidates = [coin(50_000n, 0), coin(30_000n, 1), coin(20_000n, 2)];
    for (const feeRate of [1n, 5n, 37n]) {
      const c = chooseCoins(candidates, [{ script: P2WPKH, amount: 60_000n }], { feeRate });
      expect(c).not.toBeNull();
      const inSum = c!.inputs.reduce((s, i) => s + i.amount, 0n);
      expect(inSum).toBe(60_000n + (c!.change ?? 0n) + c!.fee);
      expect(c!.vsize).toBe(vsizeOf(c!.inputs.length, [{ script: P2WPKH, amount: 60_000n }], c!.change !== null));
      expect(c!.fee >= feeRate * c!.vsize).toBe(true);
    }
  });

  it('sizes a P2WPKH spend as a node does: 1 input, 2 outputs = 141 vB (10.5 + 68 + 31 + 31, rounded up)', () => {
    expect(vsizeOf(1, [{ script: P2WPKH, amount: 1n }], true)).toBe(141n);
  });

  it('gives change above the dust limit, and a remainder below it to the fee', () => {
    const withChange = chooseCoins([coin(100_000n)], [{ script: P2WPKH, amount: 50_000n }], { feeRate: 1n });
    expect(withChange!.change).toBe(100_000n - 50_000n - withChange!.fee);
    expect(withChange!.change! >= P2WPKH_DUST_LIMIT).toBe(true);
    // 1 in, 1 out = 110 vB: a 200 sat remainder would be change at 1 sat/vB for coinselect (> 148), but is dust
    const dusty = chooseCoins([coin(10_000n)], [{ script: P2WPKH, amount: 10_000n - 141n - 200n }], { feeRate: 1n });
    expect(dusty!.change).toBeNull();
    expect(dusty!.fee).toBe(341n);
  });

  it('answers null when the candidates do not cover outputs and fee', () => {
    expect(chooseCoins([coin(10_000n)], [{ script: P2WPKH, amount: 10_000n }], { feeRate: 1n })).toBeNull();
    expect(chooseCoins([], [{ script: P2WPKH, amount: 1_000n }], { feeRate: 1n })).toBeNull();
  });

  it('refuses a fee rate below relay, dust outputs, unsafe amounts, no outputs', () => {
    const out = [{ script: P2WPKH, amount: 10_000n }];
    expect(codeOf(() => chooseCoins([coin(1n << 20n)], out, { feeRate: 0n }))).toEqual([
      'VALIDATION_FAILED',
      'fee_rate_below_relay_minimum',
    ]);
    expect(codeOf(() => chooseCoins([coin(1n << 20n)], out, { feeRate: 4n, minRelayFeeRate: 5n }))).toEqual([
      'VALIDATION_FAILED',
      'fee_rate_below_relay_minimum',
    ]);
    expect(codeOf(() => chooseCoins([coin(1n << 20n)], [{ script: P2WPKH, amount: 293n }], { feeRate: 1n }))).toEqual([
      'AMOUNT_TOO_SMALL',
      undefined,
    ]);
    expect(codeOf(() => chooseCoins([coin(1n << 60n)], out, { feeRate: 1n }))).toEqual(['VALIDATION_FAILED', 'amount_not_safe_integer']);
    expect(codeOf(() => chooseCoins([coin(1n << 52n, 0), coin(1n << 52n, 1)], out, { feeRate: 1n }))).toEqual([
      'VALIDATION_FAILED',
      'amount_not_safe_integer',
    ]);
    expect(codeOf(() => chooseCoins([coin(1n << 20n)], [], { feeRate: 1n }))).toEqual(['VALIDATION_FAILED', 'no_outputs']);
    expect(codeOf(() => chooseCoins([coin(1n << 20n)], [{ script: 'zz', amount: 1_000n }], { feeRate: 1n }))).toEqual([
      'VALIDATION_FAILED',
      'bad_script',
    ]);
  });
});
