import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check } from '@scure/base';
import { HARDENED_OFFSET, HDKey } from '@scure/bip32';
import { hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { parseAccountXpub } from './parseAccountXpub.js';
import bip32 from './vectors/bip32.json' with { type: 'json' };
import derivation from './vectors/derivation.json' with { type: 'json' };

const base58check = createBase58check(sha256);
const refused = (reason?: string): unknown =>
  expect.objectContaining({ code: 'VALIDATION_FAILED', ...(reason === undefined ? {} : { details: expect.objectContaining({ reason }) }) });

/** The index of the last step of a BIP32 path, with the hardened offset. */
function lastIndex(path: string): number {
  const step = path.split('/').at(-1) ?? '';
  return step.endsWith("'") ? Number(step.slice(0, -1)) + HARDENED_OFFSET : Number(step);
}

/** A published key with 33 bytes of key data replaced (same version, depth, parent, index and chain code). */
function withKeyData(xpub: string, keyData: Uint8Array): string {
  const bytes = base58check.decode(xpub);
  bytes.set(keyData, 45);
  return base58check.encode(bytes);
}

describe('@scure/bip32 against BIP-0032 test vectors', () => {
  describe.each(bip32.valid)('$description', ({ seed, chains }) => {
    const master = HDKey.fromMasterSeed(hex.decode(seed));

    it.each(chains)('private derivation of $path gives the published xpub and xprv', ({ path, xpub, xprv }) => {
      const node = master.derive(path);
      expect(node.publicExtendedKey).toBe(xpub);
      expect(node.privateExtendedKey).toBe(xprv);
    });

    // Public derivation (all accountsrv does) must agree with private derivation on every non-hardened step.
    const steps = chains.slice(1).map((child, i) => ({ parent: chains[i]!, child }));
    it.each(steps)('public derivation from the xpub of $parent.path gives the xpub of $child.path', ({ parent, child }) => {
      const index = lastIndex(child.path);
      const node = HDKey.fromExtendedKey(parent.xpub);
      if (index >= HARDENED_OFFSET) {
        expect(() => node.deriveChild(index)).toThrow();
      } else {
        const derived = node.deriveChild(index);
        expect(derived.publicExtendedKey).toBe(child.xpub);
        expect(derived.privateKey).toBeNull();
      }
    });
  });

  it.each(bip32.invalid)('$description: refused by the library', ({ key }) => {
    expect(() => HDKey.fromExtendedKey(key)).toThrow();
  });
});

describe('parseAccountXpub', () => {
  it.each(bip32.invalid)('$description: refused', ({ key }) => {
    expect(() => parseAccountXpub({ chain: 'btc', network: 'mainnet', xpub: key })).toThrow(refused());
  });

  it.each(derivation.invalid)('$description: refused with reason $reason', ({ chain, network, xpub, reason }) => {
    expect(() => parseAccountXpub({ chain: chain as 'btc', network: network as 'mainnet', xpub })).toThrow(refused(reason));
  });

  it('refuses an account key whose point is not on the curve (constructed from the BIP-0084 zpub)', () => {
    const zpub = derivation.valid[0]!.accountXpub;
    const notOnCurve = withKeyData(zpub, hex.decode('020000000000000000000000000000000000000000000000000000000000000007'));
    const badPrefix = withKeyData(zpub, hex.decode('0430d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c'));
    expect(() => parseAccountXpub({ chain: 'btc', network: 'mainnet', xpub: notOnCurve })).toThrow(refused('KEY'));
    expect(() => parseAccountXpub({ chain: 'btc', network: 'mainnet', xpub: badPrefix })).toThrow(refused('KEY'));
  });

  it('never puts the key it refuses in the error', () => {
    const zprv = derivation.invalid.find((vector) => vector.reason === 'PRIVATE_KEY')!.xpub;
    let error: unknown;
    try {
      parseAccountXpub({ chain: 'btc', network: 'mainnet', xpub: zprv });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'PRIVATE_KEY', version: 'zprv' } });
    const serialized = JSON.stringify(error) + String((error as Error).message) + String((error as Error).stack);
    expect(serialized).not.toContain(zprv);
    expect(serialized).not.toContain(zprv.slice(4, 40));
  });

  it('returns a public-only account node', () => {
    const node = parseAccountXpub({ chain: 'btc', network: 'mainnet', xpub: derivation.valid[0]!.accountXpub });
    expect(node.privateKey).toBeNull();
    expect(node.depth).toBe(3);
    expect(node.index).toBe(HARDENED_OFFSET);
  });

  it('refuses a chain or network it does not know', () => {
    const xpub = derivation.valid[0]!.accountXpub;
    expect(() => parseAccountXpub({ chain: 'doge' as 'btc', network: 'mainnet', xpub })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CHAIN' }),
    );
    expect(() => parseAccountXpub({ chain: 'btc', network: 'signet' as 'mainnet', xpub })).toThrow(refused());
  });

  it('refuses non-string input', () => {
    expect(() => parseAccountXpub({ chain: 'btc', network: 'mainnet', xpub: undefined as unknown as string })).toThrow(refused('FORMAT'));
  });
});
