import { z } from 'zod';

// The EVM JSON-RPC wire format, as zod schemas: a node is untrusted input, so every field the adapter reads is
// checked here once and comes out typed (quantities as bigint or safe integers, hashes and addresses lower-case).
// Fields the adapter does not read are dropped, not checked.

/** A hex quantity of at most 256 bits. Leading zeros are tolerated: some nodes send them, and they change nothing. */
export const Quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/, 'not a hex quantity')
  .transform((hex) => BigInt(hex));

/** A hex quantity that fits a JS number exactly (block numbers, indexes, timestamps, chain ids). */
export const SafeInteger = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,14}$/, 'not a small hex quantity')
  .transform((hex) => Number.parseInt(hex.slice(2), 16))
  .refine((value) => Number.isSafeInteger(value), 'beyond the safe integer range');

/** A 32-byte hash, lower-cased. */
export const Hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'not a 32-byte hash')
  .transform((hex) => hex.toLowerCase());

/** A 20-byte address, lower-cased (the canonical form `isWatched` receives). */
export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'not a 20-byte address')
  .transform((hex) => hex.toLowerCase());

/** Hex bytes, lower-cased. */
export const HexData = z
  .string()
  .regex(/^0x(?:[0-9a-fA-F]{2})*$/, 'not hex bytes')
  .transform((hex) => hex.toLowerCase());

/** `eth_getBlockByNumber(n, false)`: the header and the transaction hashes; null beyond the head. */
export const RpcBlock = z
  .object({
    number: SafeInteger,
    hash: Hash32,
    parentHash: Hash32,
    timestamp: SafeInteger,
    transactions: z.array(Hash32),
  })
  .nullable();
export type RpcBlock = NonNullable<z.output<typeof RpcBlock>>;

/** A log inside a receipt. */
export const RpcLog = z.object({
  address: Address,
  topics: z.array(Hash32).max(4),
  data: HexData,
  logIndex: SafeInteger,
});
export type RpcLog = z.output<typeof RpcLog>;

/**
 * A transaction receipt (post-Byzantium: `status` 1 success, 0 failure). `from`, `gasUsed` and `effectiveGasPrice`
 * are standard fields (execution-apis `ReceiptInfo`): every receipt of our own transactions is settled from them.
 */
export const RpcReceipt = z.object({
  transactionHash: Hash32,
  transactionIndex: SafeInteger,
  blockHash: Hash32,
  blockNumber: SafeInteger,
  status: SafeInteger.refine((status) => status === 0 || status === 1, 'status is neither 0 nor 1'),
  from: Address,
  to: Address.nullable(),
  gasUsed: Quantity,
  effectiveGasPrice: Quantity,
  logs: z.array(RpcLog),
});
export type RpcReceipt = z.output<typeof RpcReceipt>;

/** `eth_getBlockReceipts`: null when the node does not have the block. */
export const RpcBlockReceipts = z.array(RpcReceipt).nullable();

/** `eth_getTransactionReceipt`: null for an unknown or pending transaction. */
export const RpcMaybeReceipt = RpcReceipt.nullable();

/** A mined transaction, as `eth_getTransactionByBlockHashAndIndex` returns it (null when there is no such one). */
export const RpcTransaction = z
  .object({
    hash: Hash32,
    blockHash: Hash32,
    transactionIndex: SafeInteger,
    from: Address,
    to: Address.nullable(),
    value: Quantity,
  })
  .nullable();

/** `eth_getTransactionByHash`: a pending or mined transaction, or null when the node knows none by that hash. */
export const RpcTransactionByHash = z.object({ hash: Hash32 }).nullable();

/** `eth_feeHistory`: `baseFeePerGas` has one entry per block plus the next block's, which is the one we want. */
export const RpcFeeHistory = z.object({
  baseFeePerGas: z.array(Quantity).min(1),
  reward: z.array(z.array(Quantity)).optional(),
});

/** `eth_sendRawTransaction`: the transaction hash. */
export const RpcTxHash = Hash32;
