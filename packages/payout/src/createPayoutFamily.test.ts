import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import type { ChainAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { SeedVault, evmHotWalletPath, evmSigner } from '@wallet/signer';
import { describe, expect, it } from 'vitest';
import { createPayoutFamily } from './createPayoutFamily.js';
import { EvmPayoutFamily } from './evm/EvmPayoutFamily.js';

const registry = AssetRegistry.parse(devRegistryInput);
const vault = new SeedVault(new Uint8Array(16));
const common = { vault, registry, db: {} as Knex, log: createLogger('test', { level: 'silent' }), maxFeePerGas: 1n };
/** Adapters as createChainAdapter makes them, reduced to what the factory looks at (it calls no node). */
const evmAdapter = { chain: 'eth', evmChainId: 31337, nonceOf: () => 0, estimateGas: () => 0n } as unknown as ChainAdapter;
const utxoAdapter = (chain: string) => ({ chain, tracksOutputs: true }) as unknown as ChainAdapter;

describe('createPayoutFamily', () => {
  it('makes the EVM family of an EVM chain, signing with the hot wallet key derived from the seed', () => {
    const family = createPayoutFamily({ ...common, chain: registry.chain('eth'), adapter: evmAdapter });
    expect(family).toBeInstanceOf(EvmPayoutFamily);
    expect(family.chain).toBe('eth');
    expect(family.address).toBe(vault.signer(evmSigner, evmHotWalletPath).address);
  });

  it.each(['btc', 'ltc'])('refuses %s (UTXO: no payout family yet) with UNSUPPORTED_CHAIN withdrawals_not_supported', (chain) => {
    expect(() => createPayoutFamily({ ...common, chain: registry.chain(chain), adapter: utxoAdapter(chain) })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CHAIN', details: { chain, reason: 'withdrawals_not_supported' } }),
    );
  });

  it("refuses another chain's adapter, and an adapter that is not an EVM one for an EVM chain", () => {
    const eth = registry.chain('eth');
    expect(() => createPayoutFamily({ ...common, chain: eth, adapter: { ...evmAdapter, chain: 'eth2' } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => createPayoutFamily({ ...common, chain: eth, adapter: utxoAdapter('eth') })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
