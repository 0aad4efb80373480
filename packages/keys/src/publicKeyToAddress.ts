import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { hex } from '@scure/base';
import { WalletError } from '@wallet/errors';
import { payments } from 'bitcoinjs-lib';
import { type Chain, assertChain } from './chain.js';
import { checksumEthAddress } from './checksumEthAddress.js';
import { type Network, assertNetwork } from './network.js';
import { utxoNetwork } from './utxoNetwork.js';

/**
 * The deposit address of a public key: EIP-55 for EVM, native segwit P2WPKH (bech32) for BTC and LTC.
 * @param chain eth, btc or ltc
 * @param network mainnet, testnet or regtest
 * @param publicKey 33-byte compressed secp256k1 point
 * @returns the address in its canonical form
 * @throws WalletError VALIDATION_FAILED when the key is not a compressed point on the curve
 */
export function publicKeyToAddress(chain: Chain, network: Network, publicKey: Uint8Array): string {
  assertChain(chain);
  assertNetwork(network);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 33) {
    throw new WalletError('VALIDATION_FAILED', 'Public key must be a 33-byte compressed point');
  }
  try {
    // bitcoinjs-lib checks only the prefix and the range of x; decoding the point checks it is on the curve.
    secp256k1.Point.fromBytes(publicKey);
  } catch {
    throw new WalletError('VALIDATION_FAILED', 'Public key is not a point on secp256k1');
  }
  return encodeAddress(chain, network, publicKey);
}

/**
 * publicKeyToAddress without the checks, for keys that come out of @scure/bip32, which already decoded the
 * point (decoding it again would be a tenth of the cost of a derived address).
 * @param chain eth, btc or ltc
 * @param network mainnet, testnet or regtest
 * @param publicKey 33-byte compressed secp256k1 point, known to be on the curve
 * @returns the address in its canonical form
 */
export function encodeAddress(chain: Chain, network: Network, publicKey: Uint8Array): string {
  if (chain === 'eth') {
    // address = last 20 bytes of keccak256(X || Y), the uncompressed point without its 0x04 prefix
    const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
    return checksumEthAddress(hex.encode(keccak_256(uncompressed.subarray(1)).subarray(12)));
  }
  // output: OP_0 <20-byte hash160(compressed key)>, bech32 (witness v0) with the network's HRP
  const { address } = payments.p2wpkh({ pubkey: publicKey, network: utxoNetwork(chain, network) });
  if (address === undefined) throw new WalletError('INTERNAL', 'bitcoinjs-lib returned no P2WPKH address');
  return address;
}
