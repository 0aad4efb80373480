import { getAddress } from 'ethers';
import { z } from 'zod';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * An EVM address: `0x` and 40 hex digits, either in one case (no checksum to check, as EIP-55 allows) or
 * mixed-case with a correct EIP-55 checksum. Parses to the checksummed form.
 */
export const EvmAddress = z
  .string()
  .regex(HEX_ADDRESS, 'not an EVM address (0x and 40 hex digits)')
  .transform((address, ctx) => {
    // getAddress throws on a mixed-case address whose checksum is wrong: a typo that would lose the funds.
    try {
      return getAddress(address);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'wrong EIP-55 checksum' });
      return z.NEVER;
    }
  });

/** An unsigned 256-bit integer (EVM word): value, fees, token amounts. */
export const Uint256 = z
  .bigint()
  .nonnegative()
  .max(2n ** 256n - 1n, 'must be below 2^256');

/** An unsigned 64-bit integer: gas limits (EIP-1559 caps them there). */
export const Uint64 = z
  .bigint()
  .nonnegative()
  .max(2n ** 64n - 1n, 'must be below 2^64');

/** Byte string as `0x` hex, whole bytes; `0x` is empty. */
export const HexData = z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/, 'must be 0x-prefixed hex of whole bytes');

/** A non-negative safe integer (nonces), or a positive one (chain ids). */
export const SafeUint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
