import { hash } from 'node:crypto';

/**
 * SHA-256 of SHA-256 (Bitcoin's hash of headers, transactions and merkle nodes), with Node's one-shot native hash.
 * @param data the bytes
 * @returns the 32-byte digest in internal byte order (reverse it for the hex that RPC and explorers show)
 */
export function sha256d(data: Uint8Array): Buffer {
  return hash('sha256', hash('sha256', data, 'buffer'), 'buffer');
}

/**
 * A 32-byte hash in internal byte order as the hex RPC shows (byte-reversed), without changing `digest`.
 * @param digest 32 bytes, e.g. a subarray of a block
 * @returns 64 lower-case hex characters
 */
export function displayHex(digest: Uint8Array): string {
  return Buffer.from(digest).reverse().toString('hex');
}
