import { Transaction } from 'ethers';
import { describe, expect, it } from 'vitest';
import { EvmHotWallet } from './EvmHotWallet.js';
import { parseSignedEip1559 } from './parseSignedEip1559.js';

// A fixed, public test key (never a real wallet's).
const key = Uint8Array.from(Buffer.from('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318', 'hex'));

/** The same call signed as a legacy (type 0) transaction: a valid signature, the wrong type. */
function legacy(): string {
  const t = Transaction.from({
    type: 0,
    chainId: 31337,
    nonce: 1,
    to: '0x000000000000000000000000000000000000dEaD',
    value: 1n,
    gasLimit: 21_000n,
    gasPrice: 1n,
  });
  t.signature = { r: `0x${'11'.repeat(32)}`, s: `0x${'22'.repeat(32)}`, v: 27 };
  return t.serialized;
}

describe('parseSignedEip1559', () => {
  const wallet = new EvmHotWallet(key, 'test');
  const tx = {
    chainId: 31337,
    nonce: 7,
    to: '0x000000000000000000000000000000000000dEaD',
    value: 12345n,
    data: '0xa9059cbb',
    gasLimit: 60_000n,
    maxFeePerGas: 3_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  };

  it('reads back every field the wallet signed, the sender and the hash', () => {
    const signed = wallet.signEip1559(tx);
    expect(parseSignedEip1559(signed.raw)).toEqual({ ...tx, from: wallet.address, txid: signed.txid });
  });

  it.each([
    ['not hex', 'hello'],
    ['empty', '0x'],
    ['truncated', () => wallet.signEip1559(tx).raw.slice(0, 40)],
    ['an unsigned transaction', () => Transaction.from({ type: 2, ...tx, accessList: [] }).unsignedSerialized],
    ['a signed legacy transaction', () => legacy()],
  ])('refuses %s with VALIDATION_FAILED', (_name, input) => {
    const raw = typeof input === 'function' ? input() : input;
    expect(() => parseSignedEip1559(raw)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
