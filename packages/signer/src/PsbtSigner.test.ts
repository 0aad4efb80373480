import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { accountDerivationPath, deriveAddress, publicKeyToAddress, utxoNetwork } from '@wallet/keys';
import { Psbt, Transaction, payments } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { psbtSigner } from './PsbtSigner.js';
import { SeedVault } from './SeedVault.js';

const zeroEntropy = new Uint8Array(16);
const net = utxoNetwork('ltc', 'regtest');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function signerOf(entropy = zeroEntropy) {
  const vault = new SeedVault(entropy);
  const xpub = vault.accountXpubs([{ id: 'ltc', family: 'ltc', network: 'regtest' }])['ltc']!;
  return { vault, xpub, signer: vault.signer(psbtSigner('ltc', 'regtest'), accountDerivationPath('ltc', 'regtest')) };
}

/** An unsigned PSBT spending outputs paying `scripts` (values in litoshi) to one external output. */
function unsignedPsbt(spent: { script: Uint8Array; value: bigint }[], pay = 50_000n): Psbt {
  const psbt = new Psbt({ network: net });
  for (const s of spent) psbt.addInput({ hash: randomBytes(32), index: 1, witnessUtxo: s, sequence: 0xfffffffd });
  psbt.addOutput({ script: payments.p2wpkh({ hash: Buffer.alloc(20, 7), network: net }).output!, value: pay });
  return psbt;
}

describe('PsbtSigner', () => {
  it('derives the keys of the deposit addresses accountsrv derives from the same seed (BIP84 account xpub)', () => {
    for (const entropy of [zeroEntropy, Uint8Array.from(randomBytes(32))]) {
      const { signer, xpub } = signerOf(entropy);
      expect(signer.path).toBe("m/84'/1'/0'");
      for (const index of [0, 1, 7, 1000]) {
        expect(publicKeyToAddress('ltc', 'regtest', signer.publicKey(0, index))).toBe(
          deriveAddress({ chain: 'ltc', network: 'regtest', xpub, index }),
        );
      }
    }
  });

  it('signs every input with the key named for it (deposit and change), and the transaction verifies', () => {
    const { signer } = signerOf();
    const deposit = signer.publicKey(0, 3);
    const change = signer.publicKey(1, 0);
    const script = (pubkey: Uint8Array) => payments.p2wpkh({ pubkey, network: net }).output!;
    const psbt = unsignedPsbt([
      { script: script(deposit), value: 40_000n },
      { script: script(change), value: 30_000n },
    ]);
    const signed = signer.sign({
      psbt: psbt.toBase64(),
      inputs: [
        { input: 0, change: 0, index: 3 },
        { input: 1, change: 1, index: 0 },
      ],
    });
    const tx = Transaction.fromHex(signed.raw);
    expect(tx.getId()).toBe(signed.txid);
    expect(tx.outs).toHaveLength(1);
    // Each witness is <DER signature + SIGHASH_ALL> <public key>, and the signature verifies against BIP143's digest.
    for (const [i, pubkey, value] of [
      [0, deposit, 40_000n],
      [1, change, 30_000n],
    ] as const) {
      const [sig, key] = tx.ins[i]!.witness;
      expect(hex(key!)).toBe(hex(pubkey));
      expect(sig!.at(-1)).toBe(Transaction.SIGHASH_ALL);
      const digest = tx.hashForWitnessV0(i, payments.p2pkh({ pubkey }).output!, value, Transaction.SIGHASH_ALL);
      const compact = secp256k1.Signature.fromBytes(sig!.subarray(0, -1), 'der').toBytes('compact');
      expect(secp256k1.verify(compact, digest, pubkey, { prehash: false })).toBe(true);
    }
    // Deterministic (RFC 6979): the same request gives the same transaction.
    expect(
      signer.sign({
        psbt: psbt.toBase64(),
        inputs: [
          { input: 0, change: 0, index: 3 },
          { input: 1, change: 1, index: 0 },
        ],
      }),
    ).toEqual(signed);
  });

  it('refuses an input that is not an output of the key named for it, or of any key of ours', () => {
    const { signer } = signerOf();
    const ours = payments.p2wpkh({ pubkey: signer.publicKey(0, 1), network: net }).output!;
    const other = payments.p2wpkh({ pubkey: signerOf(Uint8Array.from(randomBytes(16))).signer.publicKey(0, 1), network: net }).output!;
    for (const [script, index] of [
      [other, 1],
      [ours, 2],
    ] as const) {
      const psbt = unsignedPsbt([{ script, value: 60_000n }]);
      expect(() => signer.sign({ psbt: psbt.toBase64(), inputs: [{ input: 0, change: 0, index }] })).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', details: { reason: 'foreign_input', input: 0 } }),
      );
    }
  });

  it('refuses to leave an input unsigned, inputs named twice or not in the PSBT, and what is not a PSBT', () => {
    const { signer } = signerOf();
    const script = payments.p2wpkh({ pubkey: signer.publicKey(0, 0), network: net }).output!;
    const psbt = unsignedPsbt([
      { script, value: 40_000n },
      { script, value: 40_000n },
    ]).toBase64();
    for (const inputs of [
      [{ input: 0, change: 0, index: 0 }],
      [
        { input: 0, change: 0, index: 0 },
        { input: 0, change: 0, index: 0 },
      ],
      [
        { input: 0, change: 0, index: 0 },
        { input: 2, change: 0, index: 0 },
      ],
    ] as const) {
      expect(() => signer.sign({ psbt, inputs })).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ reason: 'inputs' }) }),
      );
    }
    expect(() => signer.sign({ psbt: 'cHNidP8=', inputs: [{ input: 0, change: 0, index: 0 }] })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { reason: 'psbt' } }),
    );
    expect(() => signer.sign({ psbt, inputs: [{ input: 0, change: 2 as 0, index: 0 }] })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('refuses to sign once wiped', () => {
    const { signer } = signerOf();
    const script = payments.p2wpkh({ pubkey: signer.publicKey(0, 0), network: net }).output!;
    const psbt = unsignedPsbt([{ script, value: 60_000n }]).toBase64();
    signer.wipe();
    expect(() => signer.sign({ psbt, inputs: [{ input: 0, change: 0, index: 0 }] })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('shows the chain, network and path only to JSON.stringify and util.inspect', () => {
    const { signer, vault } = signerOf(Uint8Array.from(randomBytes(16)));
    const leaf = vault.signer({ name: 'probe', create: (key) => hex(key.privateKey) }, "m/84'/1'/0'");
    const shown = [JSON.stringify(signer), inspect(signer, { showHidden: true, depth: Infinity }), inspect({ nested: { signer } })].join(
      '\n',
    );
    expect(JSON.parse(JSON.stringify(signer))).toEqual({ chain: 'ltc', network: 'regtest', path: "m/84'/1'/0'" });
    expect(shown).not.toContain(leaf);
    expect(inspect(signer)).toBe(`PsbtSigner { chain: 'ltc', network: 'regtest', path: "m/84'/1'/0'" }`);
  });
});
