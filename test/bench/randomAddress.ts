import { randomBytes } from 'node:crypto';
import { getAddress, hexlify } from 'ethers';

/** A random, checksummed EVM address nobody holds a key for: a fresh destination, cheap enough to make per request. */
export function randomAddress(): string {
  return getAddress(hexlify(randomBytes(20)));
}
