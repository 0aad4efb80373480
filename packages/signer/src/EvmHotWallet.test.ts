import { inspect } from 'node:util';
import { Transaction, Wallet, keccak256 } from 'ethers';
import { describe, expect, it } from 'vitest';
import { type Eip1559Tx } from './eip1559Tx.js';
import { EvmHotWallet } from './EvmHotWallet.js';

const privateKeyHex = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const privateKey = () => Uint8Array.from(Buffer.from(privateKeyHex, 'hex'));
const tx: Eip1559Tx = {
  chainId: 31337,
  nonce: 3,
  to: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
  value: 123_456_789_000_000_000n,
  data: '0xa9059cbb00',
  gasLimit: 65_000n,
  maxFeePerGas: 40_000_000_000n,
  maxPriorityFeePerGas: 1_500_000_000n,
};
const refused = expect.objectContaining({ code: 'VALIDATION_FAILED' });

describe('EvmHotWallet', () => {
  it('has the EIP-55 address of its key', () => {
    const wallet = new EvmHotWallet(privateKey(), 'm/0');
    expect(wallet.address).toBe(new Wallet(`0x${privateKeyHex}`).address);
    expect(wallet.path).toBe('m/0');
  });

  it('signs an EIP-1559 transaction that ethers parses back, with the sender recovered and every field intact', () => {
    const wallet = new EvmHotWallet(privateKey(), 'm/0');
    const { raw, txid } = wallet.signEip1559(tx);
    expect(raw).toMatch(/^0x02[0-9a-f]+$/);
    const parsed = Transaction.from(raw);
    expect(parsed.from).toBe(wallet.address);
    expect(txid).toBe(keccak256(raw));
    expect(parsed.hash).toBe(txid);
    expect({
      type: parsed.type,
      chainId: parsed.chainId,
      nonce: parsed.nonce,
      to: parsed.to,
      value: parsed.value,
      data: parsed.data,
      gasLimit: parsed.gasLimit,
      maxFeePerGas: parsed.maxFeePerGas,
      maxPriorityFeePerGas: parsed.maxPriorityFeePerGas,
      accessList: parsed.accessList,
    }).toEqual({ ...tx, type: 2, chainId: 31337n, to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', accessList: [] });
  });

  it('signs a contract creation (to: null, the init code as data): no recipient, the contract at the sender and nonce', () => {
    const wallet = new EvmHotWallet(privateKey(), 'm/0');
    const parsed = Transaction.from(wallet.signEip1559({ ...tx, to: null, data: '0x6000' }).raw);
    expect(parsed.to).toBeNull();
    expect(parsed.data).toBe('0x6000');
    expect(parsed.from).toBe(wallet.address);
  });

  it("is deterministic (RFC 6979): the same transaction gives byte-identical bytes, as ethers' own signer does", async () => {
    const wallet = new EvmHotWallet(privateKey(), 'm/0');
    const first = wallet.signEip1559(tx);
    expect(wallet.signEip1559({ ...tx }).raw).toBe(first.raw);
    expect(new EvmHotWallet(privateKey(), 'm/0').signEip1559(tx)).toEqual(first);
    expect(await new Wallet(`0x${privateKeyHex}`).signTransaction({ ...tx, type: 2, accessList: [] })).toBe(first.raw);
    expect(wallet.signEip1559({ ...tx, nonce: 4 }).raw).not.toBe(first.raw);
  });

  it('keeps its own copy of the key, and refuses to sign once wiped', () => {
    const key = privateKey();
    const wallet = new EvmHotWallet(key, 'm/0');
    key.fill(0);
    expect(Transaction.from(wallet.signEip1559(tx).raw).from).toBe(wallet.address);
    wallet.wipe();
    expect(() => wallet.signEip1559(tx)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it.each<[string, Record<string, unknown>]>([
    ['a short address', { to: tx.to!.slice(0, -1) }],
    ['an address with a wrong EIP-55 checksum', { to: '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed' }],
    ['an address without 0x', { to: tx.to!.slice(2) }],
    ['no recipient (undefined: a creation is to: null)', { to: undefined }],
    ['a negative value', { value: -1n }],
    ['a value given as a number', { value: 1 }],
    ['a value of 2^256', { value: 2n ** 256n }],
    ['a negative nonce', { nonce: -1 }],
    ['a fractional nonce', { nonce: 1.5 }],
    ['a nonce beyond 2^53', { nonce: 2 ** 53 }],
    ['a nonce given as a bigint', { nonce: 3n }],
    ['chain id 0', { chainId: 0 }],
    ['a fractional chain id', { chainId: 1.5 }],
    ['data of an odd number of hex digits', { data: '0xabc' }],
    ['data without 0x', { data: 'a9059cbb' }],
    ['a gas limit of 2^64', { gasLimit: 2n ** 64n }],
    ['a negative gas limit', { gasLimit: -21_000n }],
    ['a negative fee cap', { maxFeePerGas: -1n }],
    ['a tip above the fee cap', { maxPriorityFeePerGas: tx.maxFeePerGas + 1n }],
    ['an unknown field', { gasPrice: 1n }],
  ])('refuses %s with VALIDATION_FAILED', (_, change) => {
    const wallet = new EvmHotWallet(privateKey(), 'm/0');
    expect(() => wallet.signEip1559({ ...tx, ...change })).toThrow(refused);
  });

  it.each<[string, unknown]>([
    ['31 bytes', new Uint8Array(31).fill(1)],
    ['zero', new Uint8Array(32)],
    ['the curve order n', Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'))],
    ['hex', privateKeyHex],
  ])('refuses a private key of %s, without echoing it', (_, key) => {
    let error: unknown;
    try {
      new EvmHotWallet(key as Uint8Array, 'm/0');
    } catch (caught) {
      error = caught;
    }
    expect(error).toEqual(refused);
    expect(JSON.stringify(error) + inspect(error)).not.toContain(privateKeyHex.slice(0, 16));
  });

  it('shows its address and path only to JSON.stringify and util.inspect', () => {
    const wallet = new EvmHotWallet(privateKey(), "m/44'/60'/1'/0/0");
    expect(JSON.parse(JSON.stringify(wallet))).toEqual({ address: wallet.address, path: "m/44'/60'/1'/0/0" });
    const shown = [
      JSON.stringify({ wallet }),
      inspect(wallet, { showHidden: true, depth: Infinity }),
      inspect({ nested: { wallet } }),
    ].join('\n');
    expect(shown).toContain(wallet.address);
    expect(shown.toLowerCase()).not.toContain(privateKeyHex);
    expect(shown.toLowerCase()).not.toContain(privateKeyHex.slice(0, 16));
  });
});
