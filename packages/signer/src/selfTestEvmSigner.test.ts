import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Signature, hexlify } from 'ethers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { selfTestEvmSigner } from './selfTestEvmSigner.js';
import { signDigest } from './signDigest.js';

/** EIP-155's example signing hash: the legacy known answer. */
const eip155Digest = 'daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53';

// A switch to swap the signing primitive for a subtly broken one. 'random': ECDSA with random (hedged) nonces.
// 'fixed-entropy-except-eip155': deterministic nonces, but not RFC 6979's (a constant mixed in), for every digest but
// the legacy example's, so the EIP-155 check passes. Either way the signatures are valid and recover correctly, and
// the same transaction signs the same way twice (fixed entropy): only a known answer can tell.
type BrokenMode = 'off' | 'random' | 'fixed-entropy-except-eip155';
const broken = vi.hoisted((): { mode: BrokenMode } => ({ mode: 'off' }));
vi.mock('./signDigest.js', async (importOriginal) => {
  const original = await importOriginal<{ signDigest: typeof signDigest }>();
  return {
    signDigest: (privateKey: Uint8Array, digest: Uint8Array) => {
      const isEip155 = Buffer.from(digest).toString('hex') === eip155Digest;
      if (broken.mode === 'off' || (broken.mode === 'fixed-entropy-except-eip155' && isEip155))
        return original.signDigest(privateKey, digest);
      const extraEntropy = broken.mode === 'random' ? true : new Uint8Array(32).fill(7);
      const sig = secp256k1.sign(digest, privateKey, { prehash: false, extraEntropy, format: 'recovered' });
      return Signature.from({ r: hexlify(sig.subarray(1, 33)), s: hexlify(sig.subarray(33)), yParity: sig[0] === 1 ? 1 : 0 });
    },
  };
});

afterEach(() => {
  broken.mode = 'off';
});

describe('selfTestEvmSigner', () => {
  it('passes with the real signer', () => {
    expect(() => selfTestEvmSigner()).not.toThrow();
  });

  it('fails with INTERNAL when signatures are not RFC 6979 deterministic', () => {
    broken.mode = 'random';
    expect(() => selfTestEvmSigner()).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: 'signer self-test failed', details: { check: 'EIP155_KNOWN_ANSWER' } }),
    );
  });

  it('fails the EIP-1559 known answer when only type-2 signatures differ (the round trip cannot tell)', () => {
    broken.mode = 'fixed-entropy-except-eip155';
    expect(() => selfTestEvmSigner()).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: 'signer self-test failed', details: { check: 'EIP1559_KNOWN_ANSWER' } }),
    );
  });

  it('the real signer gives the EIP-155 signature (r, s) for its example', () => {
    // EIP-155's example signing hash and signature, checked against the primitive directly.
    const signature = signDigest(Uint8Array.from(Buffer.from('46'.repeat(32), 'hex')), Uint8Array.from(Buffer.from(eip155Digest, 'hex')));
    expect(signature.r).toBe('0x28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276');
    expect(signature.s).toBe('0x67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83');
    expect(signature.yParity).toBe(0);
  });
});
