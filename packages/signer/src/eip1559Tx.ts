import { z } from 'zod';
import { EvmAddress, HexData, SafeUint, Uint256, Uint64 } from './evmSchemas.js';

/** What {@link EvmHotWallet.signEip1559} signs: an EIP-1559 (type 2) transaction with an empty access list. */
export type Eip1559Tx = {
  /** EIP-155 chain id, so the signature is not valid on another chain. */
  chainId: number;
  nonce: number;
  /** Recipient (a contract for token transfers); null: a contract creation, `data` being its init code. */
  to: string | null;
  /** Wei. */
  value: bigint;
  /** Calldata as 0x hex, `0x` for a plain transfer. */
  data: string;
  gasLimit: bigint;
  /** Wei per gas. */
  maxFeePerGas: bigint;
  /** Wei per gas, at most `maxFeePerGas`. */
  maxPriorityFeePerGas: bigint;
};

/** A signed transaction, ready for `eth_sendRawTransaction`. */
export type SignedEvmTransaction = {
  /** The serialized signed transaction, 0x hex. */
  raw: string;
  /** Its hash (keccak-256 of `raw`), the id a node and explorers know it by. */
  txid: string;
};

/** Validates an {@link Eip1559Tx}; `to` comes out checksummed. Unknown fields (`gasPrice`, `type`) are refused. */
export const Eip1559TxSchema = z
  .object({
    chainId: SafeUint.positive(),
    nonce: SafeUint,
    to: EvmAddress.nullable(),
    value: Uint256,
    data: HexData,
    gasLimit: Uint64,
    maxFeePerGas: Uint256,
    maxPriorityFeePerGas: Uint256,
  })
  .strict()
  // A node refuses a tip above the fee cap, so such a transaction could never be mined: refuse it here.
  .refine((tx) => tx.maxPriorityFeePerGas <= tx.maxFeePerGas, {
    path: ['maxPriorityFeePerGas'],
    message: 'must not exceed maxFeePerGas',
  });
