import type { RpcLog } from './evmRpcSchemas.js';

/** keccak256('Transfer(address,address,uint256)'): topic0 of the ERC20 Transfer event. */
export const erc20TransferTopic = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

// An address in a topic is left-padded to 32 bytes: 0x + 24 zero hex digits + 40 hex digits of address.
const addressTopicPadding = '0x000000000000000000000000';

/**
 * Decodes an ERC20 `Transfer(address indexed from, address indexed to, uint256 value)` log.
 *
 * Layout: topics = [erc20TransferTopic, from (padded), to (padded)], data = value (32 bytes, big-endian). Anything
 * else is not an ERC20 Transfer: 4 topics is ERC721's Transfer (tokenId indexed), other data lengths are other
 * events with the same name, and a topic whose 12 padding bytes are not zero cannot come from a compiled `address`
 * parameter. The caller must first check that the log comes from a configured token contract: any contract can emit
 * this event, and spoofed ones do.
 * @param log a log from a receipt (lower-case hex, as the schemas produce it)
 * @returns the sender, recipient (lower-case) and amount, or null if the log is not a well-formed Transfer
 */
export function decodeTransferLog(log: RpcLog): { from: string; to: string; amount: bigint } | null {
  const [topic0, fromTopic, toTopic] = log.topics;
  if (log.topics.length !== 3 || topic0 !== erc20TransferTopic || fromTopic === undefined || toTopic === undefined) return null;
  if (log.data.length !== 66) return null;
  if (!fromTopic.startsWith(addressTopicPadding) || !toTopic.startsWith(addressTopicPadding)) return null;
  return { from: `0x${fromTopic.slice(26)}`, to: `0x${toTopic.slice(26)}`, amount: BigInt(log.data) };
}
