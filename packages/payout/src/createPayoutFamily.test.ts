import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import type { ChainAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { accountDerivationPath, publicKeyToAddress } from '@wallet/keys';
import { SeedVault, evmHotWalletPath, evmSigner, psbtSigner } from '@wallet/signer';
import { describe, expect, it } from 'vitest';
import { createPayoutFamily } from './createPayoutFamily.js';
import { EvmPayoutFamily } from './evm/EvmPayoutFamily.js';
import { UtxoPayoutFamily } from './utxo/UtxoPayoutFamily.js';

const registry = AssetRegistry.parse(devRegistryInput);
const vault = new SeedVault(new Uint8Array(16));
const common = { vault, registry, db: {} as Knex, log: createLogger('test', { level: 'silent' }), maxFeePerGas: 1n };
/** Adapters as createChainAdapter makes them, reduced to what the factory looks at (it calls no node). */
const evmAdapter = { chain: 'eth', evmChainId: 31337, nonceOf: () => 0, estimateGas: () => 0n } as unknown as ChainAdapter;
const utxoAdapter = (chain: string) =>
  ({ chain, tracksOutputs: true, confirmations: () => null, hasTxIndex: () => true }) as unknown as ChainAdapter;

describe('createPayoutFamily', () => {
  it('makes the EVM family of an EVM chain, signing with the hot wallet key derived from the seed', () => {
    const family = createPayoutFamily({ ...common, chain: registry.chain('eth'), adapter: evmAdapter });
    expect(family).toBeInstanceOf(EvmPayoutFamily);
    expect(family.chain).toBe('eth');
    expect(family.address).toBe(vault.signer(evmSigner, evmHotWalletPath).address);
  });

  it.each(['btc', 'ltc'])('makes the UTXO family of %s, signing with the deposit account key (BIP84) of the same seed', (chain) => {
    const spec = registry.chain(chain);
    const family = createPayoutFamily({ ...common, chain: spec, adapter: utxoAdapter(chain) });
    expect(family).toBeInstanceOf(UtxoPayoutFamily);
    expect(family.chain).toBe(chain);
    const signer = vault.signer(psbtSigner('ltc', 'regtest'), accountDerivationPath('ltc', 'regtest'));
    if (chain === 'ltc') expect(family.address).toBe(publicKeyToAddress('ltc', 'regtest', signer.publicKey(1, 0)));
  });

  it('refuses a UTXO chain given an adapter without the payout reads', () => {
    const bare = { chain: 'ltc', tracksOutputs: true } as unknown as ChainAdapter;
    expect(() => createPayoutFamily({ ...common, chain: registry.chain('ltc'), adapter: bare })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
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
