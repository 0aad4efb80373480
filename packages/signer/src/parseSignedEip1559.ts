import { WalletError } from '@wallet/errors';
import { Transaction } from 'ethers';
import type { Eip1559Tx } from './eip1559Tx.js';

/** A signed EIP-1559 transaction read back from its bytes, with the sender its signature recovers to. */
export type ParsedEip1559Tx = Eip1559Tx & {
  /** The recipient: never a creation (those are refused). */
  readonly to: string;
  /** EIP-55 checksummed address recovered from the signature. */
  readonly from: string;
  readonly txid: string;
};

/**
 * Reads back a signed type-2 transaction (one signsrv stored before sending it), so that a replacement can reuse
 * exactly its call, gas and nonce, and so it can be checked against the withdrawal it pays.
 * @param raw the serialized signed transaction, 0x hex
 * @returns its fields, sender and hash
 * @throws WalletError VALIDATION_FAILED when the bytes are not a signed EIP-1559 transaction to an address
 */
export function parseSignedEip1559(raw: string): ParsedEip1559Tx {
  let tx: Transaction;
  try {
    tx = Transaction.from(raw);
  } catch {
    throw new WalletError('VALIDATION_FAILED', 'not a serialized transaction', { details: { field: 'raw' } });
  }
  if (
    tx.type !== 2 ||
    tx.to === null ||
    tx.from === null ||
    tx.hash === null ||
    tx.maxFeePerGas === null ||
    tx.maxPriorityFeePerGas === null
  ) {
    throw new WalletError('VALIDATION_FAILED', 'not a signed EIP-1559 transaction to an address', { details: { field: 'raw' } });
  }
  return {
    chainId: Number(tx.chainId),
    nonce: tx.nonce,
    to: tx.to,
    value: tx.value,
    data: tx.data,
    gasLimit: tx.gasLimit,
    maxFeePerGas: tx.maxFeePerGas,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    from: tx.from,
    txid: tx.hash,
  };
}
