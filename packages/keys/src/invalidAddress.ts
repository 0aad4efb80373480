import { WalletError } from '@wallet/errors';
import { type Chain } from './chain.js';
import { type Network } from './network.js';

/**
 * Why an address was refused, in `details.reason` of the INVALID_ADDRESS error:
 * - FORMAT: not an address at all (characters, length, case, encoding or checksum of base58check/bech32)
 * - CHECKSUM: an EVM address with a wrong EIP-55 checksum
 * - NETWORK: a well-formed address of another chain or network (prefix, HRP or version byte)
 * - UNSUPPORTED_TYPE: a segwit version or program length we do not send to (v1 other than P2TR, v2 to v16)
 * - PROGRAM: a witness program no coins could ever be spent from (v0 of a wrong length, P2TR key off the curve)
 */
export type AddressRejection = 'FORMAT' | 'CHECKSUM' | 'NETWORK' | 'UNSUPPORTED_TYPE' | 'PROGRAM';

/**
 * The error for an address refused by validateAddress. The address itself is not echoed: the caller has it,
 * and it may be arbitrarily long.
 * @param chain the chain it was validated for
 * @param network the network it was validated for
 * @param reason why it was refused
 * @param message short, safe for clients
 * @returns the INVALID_ADDRESS error to throw
 */
export function invalidAddress(chain: Chain, network: Network, reason: AddressRejection, message: string): WalletError<'INVALID_ADDRESS'> {
  return new WalletError('INVALID_ADDRESS', message, { details: { chain, network, reason } });
}
