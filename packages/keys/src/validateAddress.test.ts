import { hex } from '@scure/base';
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { type Chain } from './chain.js';
import { checksumEthAddress } from './checksumEthAddress.js';
import { type Network } from './network.js';
import { utxoNetwork } from './utxoNetwork.js';
import { validateAddress } from './validateAddress.js';
import addresses from './vectors/addresses.json' with { type: 'json' };
import eip55 from './vectors/eip55.json' with { type: 'json' };

const invalid = (reason: string): unknown =>
  expect.objectContaining({ code: 'INVALID_ADDRESS', details: expect.objectContaining({ reason }) });
const networks = ['mainnet', 'testnet', 'regtest'] as const;

/** The scriptPubKey an address pays to, decoded independently of validateAddress. */
function outputScript(chain: Exclude<Chain, 'eth'>, network: Network, address: string): string {
  // segwit output: OP_n <program>, OP_0 being 0x00 and OP_1..OP_16 0x51..0x60
  try {
    const { version, data } = bitcoinAddress.fromBech32(address);
    return hex.encode(Uint8Array.of(version === 0 ? 0 : 0x50 + version, data.length, ...data));
  } catch {
    return hex.encode(bitcoinAddress.toOutputScript(address, utxoNetwork(chain, network)));
  }
}

describe('validateAddress, valid vectors', () => {
  it.each(addresses.valid)('$chain $network: $address ($description)', ({ chain, network, address, canonical, ...rest }) => {
    const result = validateAddress(chain as Chain, network as Network, address);
    expect(result).toBe(canonical);
    expect(validateAddress(chain as Chain, network as Network, result)).toBe(result);
    if ('script' in rest && chain !== 'eth') expect(outputScript(chain as 'btc', network as Network, result)).toBe(rest.script);
  });
});

describe('validateAddress, invalid vectors', () => {
  it.each(addresses.invalid)('$chain $network: $description -> $reason', ({ chain, network, address, reason }) => {
    expect(() => validateAddress(chain as Chain, network as Network, address)).toThrow(invalid(reason));
  });
});

describe('validateAddress, EIP-55', () => {
  it.each(eip55.valid)('$address ($description) is its own canonical form, on every network', ({ address }) => {
    expect(checksumEthAddress(address.slice(2).toLowerCase())).toBe(address);
    for (const network of networks) expect(validateAddress('eth', network, address)).toBe(address);
  });

  it.each(eip55.invalid)('$address ($description) is refused', ({ address }) => {
    for (const network of networks) expect(() => validateAddress('eth', network, address)).toThrow(invalid('CHECKSUM'));
  });
});

describe('validateAddress, inputs', () => {
  it('refuses a chain or network it does not know', () => {
    expect(() => validateAddress('doge' as Chain, 'mainnet', 'D8K3KyDQ9FXeC3ADCuWW7cnWC7RvjHjV8H')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CHAIN' }),
    );
    expect(() => validateAddress('btc', 'signet' as Network, 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('refuses non-strings', () => {
    for (const value of [undefined, null, 42, { address: 'x' }]) {
      expect(() => validateAddress('btc', 'mainnet', value as unknown as string)).toThrow(invalid('FORMAT'));
      expect(() => validateAddress('eth', 'mainnet', value as unknown as string)).toThrow(invalid('FORMAT'));
    }
  });

  it('says which chain and network it validated for, not the address', () => {
    expect(() => validateAddress('ltc', 'testnet', 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu')).toThrow(
      expect.objectContaining({ details: { chain: 'ltc', network: 'testnet', reason: 'NETWORK' } }),
    );
  });
});
