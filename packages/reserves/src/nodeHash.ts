import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ReservesError } from './ReservesError.js';

/** Width of every sum in a hash input: 32 bytes, big-endian, unsigned. Holds any DECIMAL(65,0) and any total of them. */
export const SUM_BYTES = 32;
/** The largest sum the encoding holds (2^256 - 1). */
export const MAX_SUM = (1n << BigInt(SUM_BYTES * 8)) - 1n;

/** Domain-separation prefixes: the first byte of every hash input, so no leaf can pose as a node or a commitment. */
export const Prefix = { leaf: 0x00, node: 0x01, commitment: 0x02 } as const;

/** The node that pairs with the last node of a level with an odd count: this hash (32 zero bytes) and sum 0. */
export const PADDING_HASH = '00'.repeat(32);

/** A node of the tree: its hash (64 lower-case hex characters) and the sum of the balances below it. */
export type SumNode = { readonly hash: string; readonly sum: bigint };

/**
 * The 32-byte big-endian encoding of a sum.
 * @throws ReservesError TOTAL_TOO_LARGE beyond 2^256 - 1, NEGATIVE_BALANCE below zero
 */
export function encodeSum(sum: bigint): Uint8Array {
  if (sum < 0n) throw new ReservesError('NEGATIVE_BALANCE', `a sum is negative: ${sum}`, { sum: sum.toString() });
  if (sum > MAX_SUM) throw new ReservesError('TOTAL_TOO_LARGE', 'a sum does not fit in 32 bytes', { sum: sum.toString() });
  const out = new Uint8Array(SUM_BYTES);
  let v = sum;
  for (let i = SUM_BYTES - 1; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Parses a 32-byte hash given as 64 hex characters (either case); refuses anything else. */
export function hashBytes(hex: string, what: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new ReservesError('INVALID_COMMITMENT', `${what} is not 32 bytes of hex`, { what });
  return hexToBytes(hex.toLowerCase());
}

/**
 * A leaf: `SHA-256(0x00 || commitment[32] || balance[32 BE])`, with the balance as its sum.
 * @param commitment the account's commitment (see {@link accountCommitment}), 64 hex characters
 * @param balance what the exchange owes the account, in base units; never negative
 */
export function leafNode(commitment: string, balance: bigint): SumNode {
  const input = new Uint8Array(1 + 32 + SUM_BYTES);
  input[0] = Prefix.leaf;
  input.set(hashBytes(commitment, 'the commitment'), 1);
  input.set(encodeSum(balance), 33);
  return { hash: bytesToHex(sha256(input)), sum: balance };
}

/**
 * The parent of two nodes: `SHA-256(0x01 || left.hash[32] || left.sum[32 BE] || right.hash[32] || right.sum[32 BE])`,
 * with the sum `left.sum + right.sum`.
 */
export function parentNode(left: SumNode, right: SumNode): SumNode {
  const sum = left.sum + right.sum;
  const input = new Uint8Array(1 + 2 * (32 + SUM_BYTES));
  input[0] = Prefix.node;
  input.set(hashBytes(left.hash, 'a node hash'), 1);
  input.set(encodeSum(left.sum), 33);
  input.set(hashBytes(right.hash, 'a node hash'), 65);
  input.set(encodeSum(right.sum), 97);
  // checked after both halves are encoded: an oversized total is refused, never wrapped
  encodeSum(sum);
  return { hash: bytesToHex(sha256(input)), sum };
}
