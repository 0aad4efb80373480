import { secp256k1 } from '@noble/curves/secp256k1.js';
import { address as bitcoinAddress } from 'bitcoinjs-lib';
import { type UtxoChain } from './chain.js';
import { invalidAddress } from './invalidAddress.js';
import { litecoinLegacyScriptHash } from './litecoinNetworks.js';
import { type Network } from './network.js';
import { utxoNetwork } from './utxoNetwork.js';

// BIP173: a bech32 string is at most 90 characters; base58 addresses are 25 to 35. Longer input is refused
// before decoding (base58 decoding is quadratic in the length).
const MAX_LENGTH = 90;

function isXOnlyPoint(x: Uint8Array): boolean {
  try {
    // BIP340 lift_x: the even-y point with this x exists iff the compressed encoding 0x02 || x decodes.
    secp256k1.Point.fromBytes(Uint8Array.of(0x02, ...x));
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a Bitcoin or Litecoin address for one network and returns its canonical form. Accepted:
 * - base58check P2PKH and P2SH with the network's version bytes (and, for Litecoin, the legacy P2SH version
 *   that Litecoin Core still decodes, re-encoded with the current one);
 * - segwit v0 P2WPKH (20 bytes) and P2WSH (32 bytes) in bech32, v1 P2TR (32 bytes) in bech32m, with the
 *   network's HRP.
 * Refused, unlike BIP350's advice to accept them: segwit v1 programs that are not 32 bytes and v2 to v16. Nothing
 * can be spent from such an output before a soft fork defines it, so a withdrawal there burns customer funds.
 * Also refused: a P2TR output key that is not on the curve, unspendable forever (BIP341).
 * Testnet and regtest share base58 version bytes, so their base58 addresses are valid on both.
 * @param chain btc or ltc
 * @param network mainnet, testnet or regtest
 * @param address the address as the user gave it
 * @returns the canonical address: lower-case bech32/bech32m, or base58check with the current version byte
 * @throws WalletError INVALID_ADDRESS with `details.reason` FORMAT, NETWORK, UNSUPPORTED_TYPE or PROGRAM
 */
export function validateUtxoAddress(chain: UtxoChain, network: Network, address: string): string {
  if (address.length === 0 || address.length > MAX_LENGTH) throw invalidAddress(chain, network, 'FORMAT', 'Not an address');
  const params = utxoNetwork(chain, network);

  let base58: { version: number; hash: Uint8Array } | undefined;
  try {
    // payload: version(1) | hash160(20), then a 4-byte double-SHA256 checksum
    base58 = bitcoinAddress.fromBase58Check(address);
  } catch {
    base58 = undefined;
  }
  if (base58 !== undefined) {
    const { version, hash } = base58;
    // output: OP_DUP OP_HASH160 <hash> OP_EQUALVERIFY OP_CHECKSIG
    if (version === params.pubKeyHash) return bitcoinAddress.toBase58Check(hash, params.pubKeyHash);
    // output: OP_HASH160 <hash> OP_EQUAL, the same script whichever Litecoin prefix encoded it
    if (version === params.scriptHash || (chain === 'ltc' && version === litecoinLegacyScriptHash[network])) {
      return bitcoinAddress.toBase58Check(hash, params.scriptHash);
    }
    throw invalidAddress(chain, network, 'NETWORK', `Address version is not one of ${chain} ${network}`);
  }

  let segwit: { version: number; prefix: string; data: Uint8Array };
  try {
    // hrp "1" data(5-bit words: witness version, program) checksum; bech32 for v0, bech32m for v1+ (BIP350),
    // single-case only
    segwit = bitcoinAddress.fromBech32(address);
  } catch {
    throw invalidAddress(chain, network, 'FORMAT', 'Not a base58check or bech32 address');
  }
  const { version, prefix, data } = segwit;
  // BIP173: witness version 0 to 16, program of 2 to 40 bytes; anything else is not a segwit address at all.
  if (!Number.isInteger(version) || version < 0 || version > 16 || data.length < 2 || data.length > 40) {
    throw invalidAddress(chain, network, 'FORMAT', 'Not a segwit address');
  }
  if (prefix !== params.bech32) throw invalidAddress(chain, network, 'NETWORK', `Address prefix is not the one of ${chain} ${network}`);
  if (version === 0) {
    // output: OP_0 <20-byte key hash> (P2WPKH) or OP_0 <32-byte script hash> (P2WSH); BIP141 allows no other length
    if (data.length !== 20 && data.length !== 32)
      throw invalidAddress(chain, network, 'PROGRAM', 'Witness v0 program must be 20 or 32 bytes');
    return bitcoinAddress.toBech32(data, 0, params.bech32);
  }
  if (version === 1 && data.length === 32) {
    // output: OP_1 <32-byte x-only output key> (P2TR)
    if (!isXOnlyPoint(data)) throw invalidAddress(chain, network, 'PROGRAM', 'Taproot output key is not a point on secp256k1');
    return bitcoinAddress.toBech32(data, 1, params.bech32);
  }
  throw invalidAddress(chain, network, 'UNSUPPORTED_TYPE', `Witness version ${version} outputs of ${data.length} bytes are not supported`);
}
