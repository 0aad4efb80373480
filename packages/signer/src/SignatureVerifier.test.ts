import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { SignatureVerifier } from './SignatureVerifier.js';

// Keys and digests are arbitrary test values; signatures come from @noble/curves (RFC 6979, low S), the reference.
const key = Uint8Array.from(Buffer.from('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318', 'hex'));
const other = Uint8Array.from(Buffer.from('4646464646464646464646464646464646464646464646464646464646464646', 'hex'));
const n = secp256k1.Point.Fn.ORDER;

function sign(digest: Uint8Array, secret = key) {
  const sig = secp256k1.sign(digest, secret, { prehash: false, lowS: true, extraEntropy: false, format: 'recovered' });
  const hex = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`);
  return { r: hex(sig.subarray(1, 33)), s: hex(sig.subarray(33, 65)), yParity: sig[0] as 0 | 1 };
}

const digests = Array.from({ length: 40 }, (_, i) => Uint8Array.from(Buffer.from(`${i.toString(16).padStart(2, '0')}`.repeat(32), 'hex')));

describe('SignatureVerifier', () => {
  const verifier = new SignatureVerifier(secp256k1.getPublicKey(key, false));

  it('accepts what the reference signs, with either recovery bit (40 digests)', () => {
    const parities = new Set<number>();
    for (const d of digests) {
      const sig = sign(d);
      parities.add(sig.yParity);
      expect(verifier.verify(d, sig)).toBe(true);
      // The reference's own verify agrees.
      const compact = Uint8Array.from([...toBytes(sig.r), ...toBytes(sig.s)]);
      expect(secp256k1.verify(compact, d, secp256k1.getPublicKey(key), { prehash: false })).toBe(true);
    }
    expect(parities).toEqual(new Set([0, 1])); // both branches exercised
  });

  it('accepts the same key given compressed', () => {
    const d = digests[3]!;
    expect(new SignatureVerifier(secp256k1.getPublicKey(key, true)).verify(d, sign(d))).toBe(true);
  });

  it('refuses a wrong recovery bit, another digest, another key, high S, and out-of-range values', () => {
    const d = digests[5]!;
    const sig = sign(d);
    expect(verifier.verify(d, { ...sig, yParity: sig.yParity === 0 ? 1 : 0 })).toBe(false);
    expect(verifier.verify(digests[6]!, sig)).toBe(false);
    expect(verifier.verify(d, sign(d, other))).toBe(false);
    // (r, n - s) is the same signature with high S: valid ECDSA, refused by EIP-2.
    expect(verifier.verify(d, { ...sig, s: n - sig.s, yParity: sig.yParity === 0 ? 1 : 0 })).toBe(false);
    expect(verifier.verify(d, { ...sig, r: 0n })).toBe(false);
    expect(verifier.verify(d, { ...sig, r: sig.r + n })).toBe(false);
    expect(verifier.verify(d, { ...sig, s: 0n })).toBe(false);
    expect(verifier.verify(d.subarray(1), sig)).toBe(false);
  });

  it('refuses a public key that is not on the curve', () => {
    const bad = secp256k1.getPublicKey(key, false);
    bad[64] = bad[64]! ^ 1;
    expect(() => new SignatureVerifier(bad)).toThrow();
  });
});

function toBytes(v: bigint): number[] {
  return [...Buffer.from(v.toString(16).padStart(64, '0'), 'hex')];
}
