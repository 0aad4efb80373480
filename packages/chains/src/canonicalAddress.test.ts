import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chainFamily } from './chainFamily.js';

// The published vectors @wallet/keys validates addresses with (its vectors/README.md says where each comes from).
const vectors = <T>(file: string): T => JSON.parse(readFileSync(new URL(`../../keys/src/vectors/${file}`, import.meta.url), 'utf8')) as T;
const eip55 = vectors<{ valid: { address: string }[] }>('eip55.json').valid.map((v) => v.address);
const utxo = vectors<{ valid: { chain: string; address: string; canonical: string }[] }>('addresses.json').valid.filter(
  (v) => v.chain !== 'eth',
);

describe('canonical addresses per chain family', () => {
  const evm = chainFamily({ kind: 'evm' });
  const bitcoin = chainFamily({ kind: 'utxo' });

  it.each(eip55.filter((a) => /[a-f]/.test(a) && /[A-F]/.test(a)))('EVM: %s in any case is shown in its EIP-55 form', (address) => {
    expect(evm.canonicalAddress(address)).toBe(address);
    expect(evm.canonicalAddress(address.toLowerCase())).toBe(address);
    expect(evm.canonicalAddress(`0x${address.slice(2).toUpperCase()}`)).toBe(address);
  });

  it('EVM: single-case vectors come out mixed case, the same for both cases', () => {
    for (const address of eip55) {
      const lower = `0x${address.slice(2).toLowerCase()}`;
      const canonical = evm.canonicalAddress(lower);
      expect(canonical.toLowerCase()).toBe(lower);
      expect(evm.canonicalAddress(`0x${address.slice(2).toUpperCase()}`)).toBe(canonical);
    }
    expect(evm.canonicalAddress('0xde709f2102306220921060314715629080e2fb77')).toBe('0xde709f2102306220921060314715629080e2fb77');
    expect(evm.canonicalAddress('0x27b1fdb04752bbc536007a920d24acb045561c26')).toBe('0x27b1fdb04752bbc536007a920d24acb045561c26');
    expect(evm.canonicalAddress('0x52908400098527886e0f7030069857d2e4169ee7')).toBe('0x52908400098527886E0F7030069857D2E4169EE7');
  });

  it.each(['', '0x', '0x1234', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', '52908400098527886e0f7030069857d2e4169ee7'])(
    'EVM: %j is no EVM address and is returned unchanged',
    (address) => {
      expect(evm.canonicalAddress(address)).toBe(address);
    },
  );

  it('UTXO: bech32 and bech32m in lower case, base58check as it is (published vectors)', () => {
    const caseOnly = utxo.filter((v) => v.address.toLowerCase() === v.canonical.toLowerCase());
    expect(caseOnly.some((v) => v.address !== v.canonical)).toBe(true);
    for (const v of caseOnly) {
      expect(bitcoin.canonicalAddress(v.address), v.address).toBe(v.canonical);
      expect(bitcoin.canonicalAddress(v.canonical), v.canonical).toBe(v.canonical);
      if (v.canonical === v.canonical.toLowerCase()) expect(bitcoin.canonicalAddress(v.canonical.toUpperCase())).toBe(v.canonical);
    }
  });

  it('UTXO: an upper-case string that is not bech32 keeps its case', () => {
    // A checksum error: lowering it would make a different string, not a canonical one.
    expect(bitcoin.canonicalAddress('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T5')).toBe('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T5');
    expect(bitcoin.canonicalAddress('1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo')).toBe('1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo');
  });
});
