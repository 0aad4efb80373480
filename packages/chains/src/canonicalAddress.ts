import { address as bitcoinAddress } from 'bitcoinjs-lib';
import { checksumEthAddress } from '@wallet/keys';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * An EVM address in EIP-55 mixed case, the form deposit addresses are derived and withdrawal destinations stored in.
 * @param address as stored or seen (a node's JSON-RPC answers are lower case)
 * @returns the EIP-55 form of `0x` and 40 hex digits; anything else unchanged
 */
export function canonicalEvmAddress(address: string): string {
  return HEX_ADDRESS.test(address) ? checksumEthAddress(address.slice(2).toLowerCase()) : address;
}

/**
 * A UTXO address in its canonical form: bech32 and bech32m in lower case (BIP173 allows all upper case, which QR
 * codes use), base58check as it is (its case is part of its checksum).
 * @param address as stored or seen
 * @returns the lower-case form of an upper-case bech32 address whose checksum holds; anything else unchanged
 */
export function canonicalUtxoAddress(address: string): string {
  const lower = address.toLowerCase();
  if (address === lower || address !== address.toUpperCase()) return address;
  try {
    bitcoinAddress.fromBech32(lower);
    return lower;
  } catch {
    // Not bech32: an all upper-case base58check string is rare but valid, and must keep its case.
    return address;
  }
}
