import { inspect, type InspectOptions } from 'node:util';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { WalletError } from '@wallet/errors';
import { type Network, type UtxoChain, utxoNetwork } from '@wallet/keys';
import { Psbt, payments } from 'bitcoinjs-lib';
import { z } from 'zod';
import { parseInput } from './parseInput.js';
import type { DerivedKey, Signer, SignerBackend } from './Signer.js';

/** Which key of the account signs an input: `change` 0 for deposit (receive) addresses, 1 for change addresses. */
export type PsbtInputKey = { readonly input: number; readonly change: 0 | 1; readonly index: number };

/** What {@link PsbtSigner.sign} signs: an unsigned PSBT, and for every one of its inputs, the key it is ours at. */
export type PsbtSignRequest = {
  /** BIP174, base64. */
  readonly psbt: string;
  /** One entry per input of the PSBT (all of them: a transaction is signed whole or not at all). */
  readonly inputs: readonly PsbtInputKey[];
};

/** A signed transaction, ready for `sendrawtransaction`. */
export type SignedPsbt = {
  /** The serialized transaction, hex. */
  readonly raw: string;
  /** Its id (the hash without witnesses), as nodes and explorers show it. */
  readonly txid: string;
  /** The finalized PSBT, base64. */
  readonly psbt: string;
};

const Index = z.number().int().min(0).max(0x7fffffff);
const SignRequest = z
  .object({
    psbt: z.string().min(1).max(4_000_000),
    inputs: z.array(z.object({ input: Index, change: z.union([z.literal(0), z.literal(1)]), index: Index }).strict()).min(1),
  })
  .strict();

/**
 * A UTXO chain's account key (BIP84 `m/84'/coin'/0'`, the account whose extended public key accountsrv derives deposit
 * addresses from) and the only way to use it: signing PSBTs whose every input is a P2WPKH output of one of its keys
 * (`.../0/i` deposit, `.../1/i` change). Signatures are RFC 6979 (deterministic, low S) and verified before they are
 * released; what the transaction pays is the payout family's to check against the approved withdrawals, before it
 * asks. The key sits in a private field; `JSON.stringify` and `util.inspect` show the chain, network and path only.
 */
export class PsbtSigner implements Signer<PsbtSignRequest, SignedPsbt> {
  readonly #account: HDKey;
  #wiped = false;
  readonly path: string;
  readonly chain: UtxoChain;
  readonly network: Network;

  /**
   * Usually made by {@link SeedVault.signer} with {@link psbtSigner}. The key is copied.
   * @param key the account node's private key and chain code
   * @param path where it was derived, e.g. `m/84'/1'/0'` (a label)
   * @throws WalletError VALIDATION_FAILED when the key is not a valid secp256k1 secret key (it is not echoed)
   */
  constructor(key: DerivedKey, path: string, chain: UtxoChain, network: Network) {
    if (!(key.privateKey instanceof Uint8Array) || !secp256k1.utils.isValidSecretKey(key.privateKey) || key.chainCode?.length !== 32) {
      throw new WalletError('VALIDATION_FAILED', 'account key must be a valid secp256k1 secret key with a 32-byte chain code');
    }
    this.#account = new HDKey({ privateKey: Uint8Array.from(key.privateKey), chainCode: Uint8Array.from(key.chainCode) });
    this.path = path;
    this.chain = chain;
    this.network = network;
  }

  /**
   * The compressed public key at `<account>/change/index`: what the deposit (change 0) and change (1) addresses of
   * the account are derived from.
   */
  publicKey(change: 0 | 1, index: number): Uint8Array {
    this.#assertUsable();
    const child = this.#child(change, index);
    try {
      return child.publicKey!;
    } finally {
      child.wipePrivateData();
    }
  }

  /**
   * Signs every input of a PSBT with the key `request.inputs` names for it, finalizes it and extracts the transaction.
   * Each input must spend a P2WPKH output (`witnessUtxo`) paying exactly that key: a foreign input is refused, and so
   * is a request that leaves an input unsigned.
   * @throws WalletError VALIDATION_FAILED (`details.reason` `psbt`, `inputs`, `foreign_input`, or the field), INTERNAL
   * once wiped or when a signature does not verify
   */
  sign(request: PsbtSignRequest): SignedPsbt {
    this.#assertUsable();
    const { psbt: base64, inputs } = parseInput(SignRequest, request, 'PSBT sign request');
    const net = utxoNetwork(this.chain, this.network);
    let psbt: Psbt;
    try {
      psbt = Psbt.fromBase64(base64, { network: net });
    } catch {
      throw invalid('not a PSBT', { reason: 'psbt' });
    }
    const listed = new Map(inputs.map((k) => [k.input, k]));
    if (listed.size !== inputs.length || listed.size !== psbt.inputCount || [...listed.keys()].some((i) => i >= psbt.inputCount)) {
      throw invalid('every input of the PSBT must be named once', { reason: 'inputs', inputCount: psbt.inputCount });
    }
    for (let i = 0; i < psbt.inputCount; i++) {
      const { change, index } = listed.get(i)!;
      const child = this.#child(change, index);
      const privateKey = child.privateKey!;
      try {
        const publicKey = child.publicKey!;
        // output: OP_0 <20-byte hash160 of the public key>
        const ours = payments.p2wpkh({ pubkey: publicKey, network: net }).output!;
        const spent = psbt.data.inputs[i]!.witnessUtxo?.script;
        if (spent === undefined || Buffer.compare(Buffer.from(spent), Buffer.from(ours)) !== 0) {
          throw invalid('an input is not a P2WPKH output of the key named for it', { reason: 'foreign_input', input: i });
        }
        psbt.signInput(i, {
          publicKey,
          sign: (hash: Uint8Array) => secp256k1.sign(hash, privateKey, { prehash: false, lowS: true, extraEntropy: false }),
        });
        // Verify before release: a faulty signature is worse than none, and cheap to catch.
        if (!psbt.validateSignaturesOfInput(i, verify, publicKey)) {
          throw new WalletError('INTERNAL', 'signature did not verify', { details: { input: i } });
        }
      } finally {
        privateKey.fill(0);
        child.wipePrivateData();
      }
    }
    psbt.finalizeAllInputs();
    const tx = psbt.extractTransaction();
    return { raw: tx.toHex(), txid: tx.getId(), psbt: psbt.toBase64() };
  }

  /** Zeroes the account key; the signer refuses to sign afterwards. */
  wipe(): void {
    this.#account.wipePrivateData();
    this.#wiped = true;
  }

  /** @returns the public part only: JSON of the signer never carries the key */
  toJSON(): { chain: UtxoChain; network: Network; path: string } {
    return { chain: this.chain, network: this.network, path: this.path };
  }

  /** What `util.inspect` and `console.log` show: the public part only. */
  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `PsbtSigner ${inspect(this.toJSON(), options)}`;
  }

  /** The node at `<account>/change/index`; the intermediate node's private key is wiped. The caller wipes the result. */
  #child(change: 0 | 1, index: number): HDKey {
    const branch = this.#account.deriveChild(change);
    try {
      return branch.deriveChild(index);
    } finally {
      branch.wipePrivateData();
    }
  }

  #assertUsable(): void {
    if (this.#wiped) throw new WalletError('INTERNAL', 'PSBT signer key has been wiped', { details: { path: this.path } });
  }
}

/**
 * The PSBT signer's backend for {@link SeedVault.signer}, for one UTXO chain and network; derive it at the chain's
 * account path (`accountDerivationPath(chain, network)` of @wallet/keys), the deposit xpubs' own.
 */
export function psbtSigner(chain: UtxoChain, network: Network): SignerBackend<PsbtSigner> {
  return { name: 'psbt', create: (key, path) => new PsbtSigner(key, path, chain, network) };
}

/** ECDSA check of a signature from a PSBT (64-byte compact, as bitcoinjs-lib decodes it). */
function verify(publicKey: Uint8Array, hash: Uint8Array, signature: Uint8Array): boolean {
  return secp256k1.verify(signature, hash, publicKey, { prehash: false, lowS: true });
}

function invalid(message: string, details: Record<string, unknown>): WalletError {
  return new WalletError('VALIDATION_FAILED', message, { details });
}
