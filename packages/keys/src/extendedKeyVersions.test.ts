import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import {
  type ExtendedKeyVersionName,
  acceptedXpubVersions,
  emittedXpubVersion,
  extendedKeyVersionName,
  extendedKeyVersions,
  isPrivateExtendedKeyVersion,
} from './extendedKeyVersions.js';

const base58check = createBase58check(sha256);
const node = HDKey.fromMasterSeed(new Uint8Array(32).fill(7)).derive("m/84'/0'/0'");
const privateNames: Record<ExtendedKeyVersionName, string> = {
  xpub: 'xprv',
  tpub: 'tprv',
  zpub: 'zprv',
  vpub: 'vprv',
  Ltub: 'Ltpv',
  ttub: 'ttpv',
};

/** A serialized key with its 4 version bytes replaced. */
function reversioned(serialized: string, version: number): string {
  const bytes = base58check.decode(serialized);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, version);
  return base58check.encode(bytes);
}

describe('extendedKeyVersions', () => {
  // A typo in the table would silently refuse every key of that kind: the base58 prefix must be the name.
  it.each(Object.keys(extendedKeyVersions) as ExtendedKeyVersionName[])('%s gives its base58 prefix, public and private', (name) => {
    const versions = extendedKeyVersions[name];
    expect(reversioned(node.publicExtendedKey, versions.public).startsWith(name)).toBe(true);
    expect(reversioned(node.privateExtendedKey, versions.private).startsWith(privateNames[name])).toBe(true);
    expect(extendedKeyVersionName(versions.public)).toBe(name);
    expect(extendedKeyVersionName(versions.private)).toBe(privateNames[name]);
    expect(isPrivateExtendedKeyVersion(versions.private)).toBe(true);
    expect(isPrivateExtendedKeyVersion(versions.public)).toBe(false);
  });

  it('names refused versions too, and unknown ones in hex', () => {
    expect(extendedKeyVersionName(0x049d7cb2)).toBe('ypub');
    expect(isPrivateExtendedKeyVersion(0x049d7878)).toBe(true);
    expect(extendedKeyVersionName(0x01020304)).toBe('0x01020304');
  });

  it('emits a version it accepts, for every chain and network', () => {
    for (const chain of ['eth', 'btc', 'ltc'] as const) {
      for (const network of ['mainnet', 'testnet', 'regtest'] as const) {
        expect(acceptedXpubVersions(chain, network)).toContain(emittedXpubVersion(chain, network));
      }
    }
  });

  it('accepts no testnet version on mainnet and no mainnet-only version off mainnet', () => {
    for (const chain of ['eth', 'btc', 'ltc'] as const) {
      expect(acceptedXpubVersions(chain, 'mainnet')).not.toContain('tpub');
      expect(acceptedXpubVersions(chain, 'mainnet')).not.toContain('vpub');
      expect(acceptedXpubVersions(chain, 'mainnet')).not.toContain('ttub');
      for (const network of ['testnet', 'regtest'] as const) {
        expect(acceptedXpubVersions(chain, network)).not.toContain('zpub');
        expect(acceptedXpubVersions(chain, network)).not.toContain('Ltub');
      }
    }
  });
});
