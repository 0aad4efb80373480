import { hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { type Chain } from './chain.js';
import { type Network } from './network.js';
import { publicKeyToAddress } from './publicKeyToAddress.js';
import derivation from './vectors/derivation.json' with { type: 'json' };

// Every published (public key, address) pair of the derivation vectors: BIP-0084 and its Litecoin twin.
type Entry = { index: number; address: string; publicKey?: string };
const pairs = derivation.valid.flatMap(({ chain, network, receive, change }) =>
  ([...receive, ...change] as Entry[]).flatMap(({ publicKey, address }) =>
    publicKey === undefined ? [] : [{ chain: chain as Chain, network: network as Network, publicKey, address }],
  ),
);

describe('publicKeyToAddress', () => {
  it('has published pairs to check', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(6);
  });

  it.each(pairs)('$chain: $publicKey is $address', ({ chain, network, publicKey, address }) => {
    expect(publicKeyToAddress(chain, network, hex.decode(publicKey))).toBe(address);
  });

  it.each([
    ['32 bytes', '30d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c'],
    ['a 04 prefix on 33 bytes', '0430d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c'],
    ['a point not on the curve', '020000000000000000000000000000000000000000000000000000000000000007'],
  ])('refuses %s', (_, key) => {
    for (const chain of ['eth', 'btc', 'ltc'] as const) {
      expect(() => publicKeyToAddress(chain, 'mainnet', hex.decode(key))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
