import { checksumEthAddress } from './checksumEthAddress.js';
import { invalidAddress } from './invalidAddress.js';
import { type Network } from './network.js';

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * Validates an EVM address (the same on every network): `0x` and 40 hex digits, either in one case (no checksum
 * to verify, as EIP-55 allows) or mixed-case with a correct EIP-55 checksum.
 * @param network mainnet, testnet or regtest, only echoed in errors
 * @param address the address as the user gave it
 * @returns the EIP-55 checksummed address
 * @throws WalletError INVALID_ADDRESS with `details.reason` FORMAT or CHECKSUM
 */
export function validateEthAddress(network: Network, address: string): string {
  if (!HEX_ADDRESS.test(address)) throw invalidAddress('eth', network, 'FORMAT', 'Not an EVM address (0x and 40 hex digits)');
  const digits = address.slice(2);
  const lower = digits.toLowerCase();
  const checksummed = checksumEthAddress(lower);
  const singleCase = digits === lower || digits === digits.toUpperCase();
  // A mixed-case address claims an EIP-55 checksum: a wrong one means a typo, and the funds would be lost.
  if (!singleCase && checksummed.slice(2) !== digits) {
    throw invalidAddress('eth', network, 'CHECKSUM', 'EVM address has a wrong EIP-55 checksum');
  }
  return checksummed;
}
