import { z } from 'zod';
import { EvmAddress, Uint256 } from './evmSchemas.js';
import { parseInput } from './parseInput.js';

const TransferArgs = z.tuple([EvmAddress, Uint256]);

/**
 * Calldata of ERC-20 `transfer(address to, uint256 amount)`, for a token withdrawal (the transaction goes to the token
 * contract with value 0).
 * @param to recipient address (single-case, or mixed-case with a correct EIP-55 checksum)
 * @param amount token base units, in [0, 2^256)
 * @returns the calldata, 0x and 136 lower-case hex characters
 * @throws WalletError VALIDATION_FAILED for a bad address or amount
 */
export function encodeErc20Transfer(to: string, amount: bigint): string {
  const [address, value] = parseInput(TransferArgs, [to, amount], 'ERC-20 transfer');
  // calldata (ABI encoding, 68 bytes):
  //   a9059cbb                                   selector: first 4 bytes of keccak256("transfer(address,uint256)")
  //   000000000000000000000000 <20-byte to>      address, left-padded with zeros to 32 bytes
  //   <32-byte amount>                           uint256, big-endian, left-padded with zeros
  return `0xa9059cbb${address.slice(2).toLowerCase().padStart(64, '0')}${value.toString(16).padStart(64, '0')}`;
}
