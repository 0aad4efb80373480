import { inspect } from 'node:util';
import { accountDerivationPath, deriveAddress } from '@wallet/keys';
import { Transaction } from 'ethers';
import { describe, expect, it } from 'vitest';
import { evmDepositSigner } from './EvmDepositKeys.js';
import { SeedVault, evmDepositAccountPath } from './SeedVault.js';

const entropy = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const path = accountDerivationPath('eth', 'regtest');

it('evmDepositAccountPath is the EVM deposit account of @wallet/keys', () => {
  for (const network of ['mainnet', 'testnet', 'regtest'] as const)
    expect(accountDerivationPath('eth', network)).toBe(evmDepositAccountPath);
});

describe('EvmDepositKeys', () => {
  it('signs from the very deposit address accountsrv derives from the xpub of the same seed, at each index', () => {
    const vault = new SeedVault(entropy);
    const xpub = vault.accountXpubs([{ id: 'eth', family: 'eth', network: 'regtest' }])['eth']!;
    const keys = vault.signer(evmDepositSigner, path);
    for (const index of [0, 1, 7, 2 ** 31 - 1]) {
      const expected = deriveAddress({ chain: 'eth', network: 'regtest', xpub, index });
      expect(keys.address(index)).toBe(expected);
      const signed = keys.sign({
        index,
        tx: {
          chainId: 31337,
          nonce: 0,
          to: expected,
          value: 1n,
          data: '0x',
          gasLimit: 21_000n,
          maxFeePerGas: 2n,
          maxPriorityFeePerGas: 2n,
        },
      });
      expect(signed.from).toBe(expected);
      expect(Transaction.from(signed.raw).from).toBe(expected);
    }
  });

  it('refuses a hardened or negative index, and everything once wiped; shows no key', () => {
    const keys = new SeedVault(entropy).signer(evmDepositSigner, path);
    expect(() => keys.address(2 ** 31)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => keys.address(-1)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(JSON.stringify(keys)).toBe(JSON.stringify({ path }));
    expect(inspect(keys)).not.toMatch(/[0-9a-f]{64}/);
    keys.wipe();
    expect(() => keys.address(0)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
