import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Signature, hexlify } from 'ethers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { selfTestEvmSigner } from './selfTestEvmSigner.js';
import { signDigest } from './signDigest.js';

// A switch to swap the signing primitive for a subtly broken one: ECDSA with random (hedged) nonces. Its signatures are
// valid and recover correctly, so only the known answer can tell.
const broken = vi.hoisted(() => ({ on: false }));
vi.mock('./signDigest.js', async (importOriginal) => {
  const original = await importOriginal<{ signDigest: typeof signDigest }>();
  return {
    signDigest: (privateKey: Uint8Array, digest: Uint8Array) => {
      if (!broken.on) return original.signDigest(privateKey, digest);
      const sig = secp256k1.sign(digest, privateKey, { prehash: false, extraEntropy: true, format: 'recovered' });
      return Signature.from({ r: hexlify(sig.subarray(1, 33)), s: hexlify(sig.subarray(33)), yParity: sig[0] === 1 ? 1 : 0 });
    },
  };
});

afterEach(() => {
  broken.on = false;
});

describe('selfTestEvmSigner', () => {
  it('passes with the real signer', () => {
    expect(() => selfTestEvmSigner()).not.toThrow();
  });

  it('fails with INTERNAL when signatures are not RFC 6979 deterministic', () => {
    broken.on = true;
    expect(() => selfTestEvmSigner()).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: 'signer self-test failed', details: { check: 'EIP155_KNOWN_ANSWER' } }),
    );
  });

  it('the real signer gives the EIP-155 signature (r, s) for its example', () => {
    // EIP-155's example signing hash and signature, checked against the primitive directly.
    const signature = signDigest(
      Uint8Array.from(Buffer.from('46'.repeat(32), 'hex')),
      Uint8Array.from(Buffer.from('daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53', 'hex')),
    );
    expect(signature.r).toBe('0x28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276');
    expect(signature.s).toBe('0x67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83');
    expect(signature.yParity).toBe(0);
  });
});
