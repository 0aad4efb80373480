import type { ChainSpec } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { operatedRoles } from './operatedAddresses.js';

/**
 * EVM addresses below this value are refused as destinations: the zero address (a burn: nothing could ever move the
 * funds again) and the low range that chains reserve for precompiles and system contracts: Ethereum's 0x01-0x0a
 * (0x0b-0x11 since Prague), RIP-7212's P256VERIFY at 0x100, Arbitrum's precompiles at 0x64-0xff. Nobody holds a key
 * to an address with 18 leading zero bytes, so no legitimate destination is refused.
 */
export const RESERVED_EVM_ADDRESSES_BELOW = 0x10000n;

/** Why an address can never be a withdrawal's destination on its own (whoever operates it), or null. */
export type ReservedReason = 'zero_address' | 'reserved_address';

/**
 * The static screening of an EVM destination: the zero address and the reserved low range
 * ({@link RESERVED_EVM_ADDRESSES_BELOW}).
 * @param address a valid EVM address (0x and 40 hex digits, any case)
 * @returns why it is refused, or null when it may be paid
 */
export function reservedEvmDestination(address: string): ReservedReason | null {
  const value = BigInt(address);
  if (value === 0n) return 'zero_address';
  return value < RESERVED_EVM_ADDRESSES_BELOW ? 'reserved_address' : null;
}

/** Where a screened destination leads: on chain, or to an account of this wallet. */
export type ScreenedDestination = {
  /** The account whose deposit address it is (the withdrawal is settled internally), or null (paid on chain). */
  readonly internalAccountId: string | null;
};

/**
 * Screens a withdrawal's destination, at request time (before anything is frozen) and again in signsrv before it
 * signs: refused when it is the zero address or a reserved one, or an address the wallet itself operates (a hot wallet,
 * current or earlier, or a configured fee/sweep/cold address: paying one would debit the user while only gas leaves
 * the wallet). A deposit address of any account of this wallet is allowed and makes the withdrawal internal.
 * @param to the destination in the chain's canonical form (as validateAddress returns it)
 * @throws WalletError INVALID_DESTINATION with `details.reason` `zero_address`, `reserved_address` or `operated_address`
 */
export async function screenDestination(db: Knex, chain: Pick<ChainSpec, 'id' | 'kind'>, to: string): Promise<ScreenedDestination> {
  if (chain.kind === 'evm') {
    const reserved = reservedEvmDestination(to);
    if (reserved !== null) throw invalidDestination(to, reserved);
  }
  const operated = await operatedRoles(db, chain.id, [to]);
  if (operated.size > 0) throw invalidDestination(to, 'operated_address');
  // Deposit addresses are stored in the canonical form `to` is in (accountsrv's accountOfAddress compares byte-exact).
  const row = await db('addresses').where({ chain: chain.id, address: to }).first<{ account_id: string } | undefined>('account_id');
  return { internalAccountId: row?.account_id ?? null };
}

/** INVALID_DESTINATION for `to`, with the reason (not the role of an operated address: that stays internal). */
export function invalidDestination(to: string, reason: ReservedReason | 'operated_address'): WalletError {
  return new WalletError('INVALID_DESTINATION', `the destination cannot receive a withdrawal (${reason.replace('_', ' ')})`, {
    details: { field: 'to', to, reason },
  });
}
