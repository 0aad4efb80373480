import { keccak_256 } from '@noble/hashes/sha3.js';

const encoder = new TextEncoder();

/**
 * EIP-55 mixed-case checksum encoding of a 20-byte address.
 * @param lowerHex the address as 40 lower-case hex characters, without 0x
 * @returns `0x` followed by the address with each letter upper-cased when its hash nibble is >= 8
 */
export function checksumEthAddress(lowerHex: string): string {
  // EIP-55: hash = keccak256(ascii(lower-case hex)); the letter at position i is upper-case iff nibble i of
  // hash is >= 8 (digits have no case and carry no check bit).
  const hash = keccak_256(encoder.encode(lowerHex));
  let out = '0x';
  for (let i = 0; i < lowerHex.length; i++) {
    const char = lowerHex.charAt(i);
    const byte = hash[i >> 1] ?? 0;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    out += nibble >= 8 ? char.toUpperCase() : char;
  }
  return out;
}
