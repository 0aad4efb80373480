import { type Network, type UtxoChain, utxoNetwork, validateAddress } from '@wallet/keys';
import { address as bitcoinAddress } from 'bitcoinjs-lib';

/**
 * The scriptPubKey an address pays to: what the scanner matches outputs against.
 * ```
 * P2PKH  OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG   76 a9 14 <hash> 88 ac
 * P2SH   OP_HASH160 <20> OP_EQUAL                            a9 14 <hash> 87
 * P2WPKH OP_0 <20>   P2WSH OP_0 <32>   P2TR OP_1 <32>          00 14 <hash> / 00 20 <hash> / 51 20 <key>
 * ```
 * The address is validated first (@wallet/keys `validateAddress`: network, checksum, the segwit versions the wallet
 * accepts; Litecoin's legacy `3...`/`2...` P2SH decodes to the same script as its `M...`/`Q...` form).
 * @param chain btc or ltc
 * @param network mainnet, testnet or regtest
 * @param address as given
 * @returns the script, a new buffer
 * @throws WalletError INVALID_ADDRESS (details.reason FORMAT, NETWORK, UNSUPPORTED_TYPE or PROGRAM), UNSUPPORTED_CHAIN
 */
export function addressToScript(chain: UtxoChain, network: Network, address: string): Buffer {
  const canonical = validateAddress(chain, network, address);
  const params = utxoNetwork(chain, network);
  if (canonical.startsWith(`${params.bech32}1`)) {
    // validateAddress let through only v0 (20 or 32 bytes) and v1 (32 bytes); OP_1..OP_16 are 0x51..0x60
    const { version, data } = bitcoinAddress.fromBech32(canonical);
    return Buffer.concat([Buffer.of(version === 0 ? 0x00 : 0x50 + version, data.length), data]);
  }
  // canonical base58 carries the current version bytes: P2PKH or P2SH
  const { version, hash } = bitcoinAddress.fromBase58Check(canonical);
  return version === params.pubKeyHash
    ? Buffer.concat([Buffer.of(0x76, 0xa9, 0x14), hash, Buffer.of(0x88, 0xac)])
    : Buffer.concat([Buffer.of(0xa9, 0x14), hash, Buffer.of(0x87)]);
}

/**
 * The address of a scriptPubKey, in the canonical form `validateAddress` returns (lower-case bech32, base58check with
 * the chain's current version bytes), for P2PKH, P2SH, P2WPKH, P2WSH and P2TR.
 * @param chain btc or ltc
 * @param network mainnet, testnet or regtest
 * @param script the output's scriptPubKey
 * @returns the address, or null for any other script (bare multisig, OP_RETURN, MWEB peg-in and HogEx outputs,
 * future segwit versions)
 */
export function scriptToAddress(chain: UtxoChain, network: Network, script: Uint8Array): string | null {
  const params = utxoNetwork(chain, network);
  const s = script;
  if (s.length === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 0x14 && s[23] === 0x88 && s[24] === 0xac) {
    return bitcoinAddress.toBase58Check(s.subarray(3, 23), params.pubKeyHash);
  }
  if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) {
    return bitcoinAddress.toBase58Check(s.subarray(2, 22), params.scriptHash);
  }
  if (s[0] === 0x00 && ((s.length === 22 && s[1] === 0x14) || (s.length === 34 && s[1] === 0x20))) {
    return bitcoinAddress.toBech32(s.subarray(2), 0, params.bech32);
  }
  if (s.length === 34 && s[0] === 0x51 && s[1] === 0x20) {
    // bitcoinjs-lib encodes any 32 bytes; validateAddress refuses an x-only key not on the curve, so do we.
    const candidate = bitcoinAddress.toBech32(s.subarray(2), 1, params.bech32);
    try {
      return validateAddress(chain, network, candidate);
    } catch {
      return null;
    }
  }
  return null;
}
