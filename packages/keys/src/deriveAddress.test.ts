import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check, hex } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountXpubFromMnemonic } from './accountXpubFromMnemonic.js';
import { type Chain } from './chain.js';
import { deriveAddress } from './deriveAddress.js';
import { accountDerivationPath, derivationPath } from './derivationPath.js';
import { acceptedXpubVersions, extendedKeyVersions } from './extendedKeyVersions.js';
import { type Network } from './network.js';
import { parseAccountXpub } from './parseAccountXpub.js';
import { publicKeyToAddress } from './publicKeyToAddress.js';
import derivation from './vectors/derivation.json' with { type: 'json' };

const base58check = createBase58check(sha256);
const refused = (reason?: string): unknown =>
  expect.objectContaining({ code: 'VALIDATION_FAILED', ...(reason === undefined ? {} : { details: expect.objectContaining({ reason }) }) });

type Vector = (typeof derivation.valid)[number] & { chain: Chain; network: Network };
const vectors = derivation.valid as Vector[];

/** The uncached path: parse the account key, derive `change/index` from it, encode. */
function deriveUncached(chain: Chain, network: Network, xpub: string, change: number, index: number): string {
  const node = parseAccountXpub({ chain, network, xpub }).derive(`m/${change}/${index}`);
  return publicKeyToAddress(chain, network, node.publicKey!);
}

/** The same key under other version bytes. */
function reversioned(xpub: string, version: number): string {
  const bytes = base58check.decode(xpub);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, version);
  return base58check.encode(bytes);
}

describe('deriveAddress, published vectors', () => {
  describe.each(vectors)('$description ($chain $network)', (vector) => {
    const { chain, network, accountXpub: xpub } = vector;

    it.each(vector.receive)('receiving address $index is $address', ({ index, address, ...rest }) => {
      expect(deriveAddress({ chain, network, xpub, index })).toBe(address);
      if ('publicKey' in rest) {
        const node = parseAccountXpub({ chain, network, xpub }).derive(`m/0/${index}`);
        expect(hex.encode(node.publicKey!)).toBe(rest.publicKey);
      }
    });

    it.each(vector.change)('change address $index is $address (the account key also gives the internal chain)', ({ index, address }) => {
      expect(deriveUncached(chain, network, xpub, 1, index)).toBe(address);
    });

    if (vector.accountPath.startsWith(accountDerivationPath(chain, network))) {
      it('derivationPath names the path the vector publishes', () => {
        for (const { index } of vector.receive) expect(derivationPath(chain, network, index)).toBe(`${vector.accountPath}/0/${index}`);
      });
    }

    if (vector.mnemonic !== null) {
      const mnemonic = vector.mnemonic;
      it(
        vector.emittedByHelper
          ? 'accountXpubFromMnemonic returns this account key'
          : 'accountXpubFromMnemonic returns the same key under its own version',
        () => {
          const fromMnemonic = accountXpubFromMnemonic({ chain, network, mnemonic });
          if (vector.emittedByHelper) expect(fromMnemonic).toBe(xpub);
          expect(deriveAddress({ chain, network, xpub: fromMnemonic, index: 0 })).toBe(deriveAddress({ chain, network, xpub, index: 0 }));
        },
      );
    }

    if ('receiveP2pkh' in vector) {
      // Our address is P2WPKH, the published one P2PKH: both commit to hash160 of the same compressed key.
      it.each(vector.receiveP2pkh)('address $index has the key hash of the published P2PKH $address', ({ index, address }) => {
        const ours = bitcoinAddress.fromBech32(deriveAddress({ chain, network, xpub, index }));
        expect(hex.encode(ours.data)).toBe(hex.encode(bitcoinAddress.fromBase58Check(address).hash));
      });
    }

    it('gives the same addresses under every version it accepts for this chain and network', () => {
      for (const name of acceptedXpubVersions(chain, network)) {
        const same = reversioned(xpub, extendedKeyVersions[name].public);
        expect(deriveAddress({ chain, network, xpub: same, index: 7 })).toBe(deriveAddress({ chain, network, xpub, index: 7 }));
      }
    });
  });

  it.each(derivation.invalid)('$description: refused with reason $reason', ({ chain, network, xpub, reason }) => {
    expect(() => deriveAddress({ chain: chain as Chain, network: network as Network, xpub, index: 0 })).toThrow(refused(reason));
  });
});

describe('deriveAddress on regtest (self-consistency: no published vector)', () => {
  const ltcTestnet = vectors.find((vector) => vector.chain === 'ltc' && vector.network === 'testnet')!;

  // BTC and LTC use coin type 1' on testnet and regtest alike: same keys, only the HRP differs.
  it.each([
    ['ltc', 'rltc1q', 'tltc1q6rz28mcfaxtmd6v789l9rrlrusdprr9pesrjxk'],
    ['btc', 'bcrt1q', 'tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl'],
  ] as const)('%s regtest gives %s addresses with the witness program of the published testnet one', (chain, prefix, published) => {
    const xpub = accountXpubFromMnemonic({ chain, network: 'regtest', mnemonic: ltcTestnet.mnemonic! });
    const address = deriveAddress({ chain, network: 'regtest', xpub, index: 0 });
    expect(address.startsWith(prefix)).toBe(true);
    expect(hex.encode(bitcoinAddress.fromBech32(address).data)).toBe(hex.encode(bitcoinAddress.fromBech32(published).data));
  });

  it('ltc regtest accepts the published testnet ttub (regtest shares testnet key versions)', () => {
    const address = deriveAddress({ chain: 'ltc', network: 'regtest', xpub: ltcTestnet.accountXpub, index: 0 });
    expect(hex.encode(bitcoinAddress.fromBech32(address).data)).toBe(
      hex.encode(bitcoinAddress.fromBech32(ltcTestnet.receive[0]!.address).data),
    );
    expect(address.startsWith('rltc1q')).toBe(true);
  });

  it('eth gives the same addresses on every network (coin type 60 everywhere)', () => {
    const eth = vectors.find((vector) => vector.chain === 'eth')!;
    for (const network of ['testnet', 'regtest'] as const) {
      expect(deriveAddress({ chain: 'eth', network, xpub: eth.accountXpub, index: 0 })).toBe(eth.receive[0]!.address);
    }
  });
});

describe('deriveAddress, inputs', () => {
  const { chain, network, accountXpub: xpub } = vectors[0]!;

  it.each([-1, 1.5, 2 ** 31, Number.NaN, Number.POSITIVE_INFINITY, '0' as unknown as number])('refuses index %s', (index) => {
    expect(() => deriveAddress({ chain, network, xpub, index })).toThrow(refused());
  });

  it('accepts the largest non-hardened index, 2^31 - 1', () => {
    expect(deriveAddress({ chain, network, xpub, index: 2 ** 31 - 1 })).toBe(deriveUncached(chain, network, xpub, 0, 2 ** 31 - 1));
  });

  it('refuses a chain or a network it does not know', () => {
    expect(() => deriveAddress({ chain: 'doge' as Chain, network, xpub, index: 0 })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CHAIN' }),
    );
    expect(() => deriveAddress({ chain, network: 'signet' as Network, xpub, index: 0 })).toThrow(refused());
  });

  it('refuses a private key even after the public key of the same account was cached', () => {
    deriveAddress({ chain, network, xpub, index: 0 });
    const zprv = derivation.invalid.find((vector) => vector.reason === 'PRIVATE_KEY' && vector.chain === 'btc')!.xpub;
    expect(() => deriveAddress({ chain, network, xpub: zprv, index: 0 })).toThrow(refused('PRIVATE_KEY'));
  });

  it('does not let a key cached for one network be used on another', () => {
    deriveAddress({ chain: 'btc', network: 'mainnet', xpub, index: 0 });
    expect(() => deriveAddress({ chain: 'btc', network: 'testnet', xpub, index: 0 })).toThrow(refused('VERSION'));
  });
});

describe('deriveAddress, cache', () => {
  it('gives what the uncached derivation gives, for any index (property)', () => {
    const cases = vectors.filter((vector) => vector.accountPath.startsWith(accountDerivationPath(vector.chain, vector.network)));
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.integer({ min: 0, max: 2 ** 31 - 1 }), ({ chain, network, accountXpub }, index) => {
        expect(deriveAddress({ chain, network, xpub: accountXpub, index })).toBe(deriveUncached(chain, network, accountXpub, 0, index));
      }),
      { numRuns: 60 },
    );
  });

  it('stays correct past its capacity, when entries are evicted and parsed again', () => {
    // 70 accounts (the cache holds 64), each from its own seed; then the first ones again, now evicted.
    const xpubs = Array.from(
      { length: 70 },
      (_, i) => HDKey.fromMasterSeed(new Uint8Array(32).fill(i + 1)).derive("m/44'/60'/0'").publicExtendedKey,
    );
    const first = xpubs.map((xpub) => deriveAddress({ chain: 'eth', network: 'mainnet', xpub, index: 3 }));
    expect(new Set(first).size).toBe(70);
    xpubs.forEach((xpub, i) => {
      expect(deriveAddress({ chain: 'eth', network: 'mainnet', xpub, index: 3 })).toBe(first[i]);
      expect(first[i]).toBe(deriveUncached('eth', 'mainnet', xpub, 0, 3));
    });
  });
});
