import { type Network, type UtxoChain, deriveAddress } from '@wallet/keys';
import { crypto as bcrypto } from 'bitcoinjs-lib';
import { addressToScript } from './addressScript.js';

/** The output types a deposit address can be watched as, all paying to one key's hash160. */
export const DepositScriptKind = {
  /** Native segwit, the addresses the wallet hands out: `OP_0 <20-byte key hash>`. */
  p2wpkh: 'p2wpkh',
  /** Segwit nested in P2SH (BIP49): `OP_HASH160 <hash160(OP_0 <key hash>)> OP_EQUAL`. */
  p2shP2wpkh: 'p2shP2wpkh',
  /** Legacy: `OP_DUP OP_HASH160 <key hash> OP_EQUALVERIFY OP_CHECKSIG`. */
  p2pkh: 'p2pkh',
} as const;

export type DepositScriptKind = (typeof DepositScriptKind)[keyof typeof DepositScriptKind];

/**
 * The scriptPubKey of each kind paying to one key hash.
 * @param keyHash hash160 of the compressed public key, 20 bytes
 * @param kinds which scripts; @default ['p2wpkh']
 * @returns one script per kind, in the order asked, as new buffers
 */
export function keyHashScripts(keyHash: Uint8Array, kinds: readonly DepositScriptKind[] = ['p2wpkh']): Buffer[] {
  if (keyHash.length !== 20) throw new RangeError('a key hash is 20 bytes');
  // redeem script of P2SH-P2WPKH = the P2WPKH output script
  const p2wpkh = Buffer.concat([Buffer.of(0x00, 0x14), keyHash]);
  return kinds.map((kind) => {
    switch (kind) {
      case 'p2wpkh':
        return Buffer.from(p2wpkh);
      case 'p2shP2wpkh':
        return Buffer.concat([Buffer.of(0xa9, 0x14), bcrypto.hash160(p2wpkh), Buffer.of(0x87)]);
      case 'p2pkh':
        return Buffer.concat([Buffer.of(0x76, 0xa9, 0x14), keyHash, Buffer.of(0x88, 0xac)]);
    }
  });
}

/** What {@link depositScripts} takes. */
export type DepositScriptsParams = {
  chain: UtxoChain;
  network: Network;
  /** The account-level extended public key the address is derived from (@wallet/keys `deriveAddress`). */
  xpub: string;
  index: number;
  /** @default ['p2wpkh'] */
  kinds?: readonly DepositScriptKind[];
};

/**
 * The scripts that pay the deposit address at `index` of an account: its P2WPKH script (the address the wallet
 * hands out) and, if the chain is configured for them, the P2SH-P2WPKH and P2PKH scripts of the same key.
 * @returns one script per kind, in the order asked
 * @throws WalletError VALIDATION_FAILED (bad key or index), UNSUPPORTED_CHAIN
 */
export function depositScripts(params: DepositScriptsParams): Buffer[] {
  const { chain, network, xpub, index } = params;
  const address = deriveAddress({ chain, network, xpub, index });
  // output: OP_0 <20-byte key hash>
  const keyHash = addressToScript(chain, network, address).subarray(2);
  return keyHashScripts(keyHash, params.kinds ?? ['p2wpkh']);
}
