import { ByteCursor, malformedData } from './ByteCursor.js';
import { merkleRoot } from './merkleRoot.js';
import { type ParsedTx, type RawParseOptions, readTransaction } from './parseRawTransaction.js';
import { displayHex, sha256d } from './sha256d.js';

/** The 80-byte block header, decoded. Hashes in display (RPC) hex. */
export type BlockHeader = {
  /** double-SHA256 of the 80-byte header (Litecoin too: scrypt is only its proof of work). */
  readonly hash: string;
  readonly version: number;
  readonly prevHash: string;
  readonly merkleRoot: string;
  /** Seconds since the Unix epoch. */
  readonly time: number;
  readonly bits: number;
  readonly nonce: number;
};

/** A block with its transactions (canonical ones: MWEB-internal transactions are not in this list). */
export type ParsedBlock = BlockHeader & {
  readonly transactions: readonly ParsedTx[];
  /** Litecoin: the byte length of the MWEB extension block after the transactions (not parsed); 0 when none. */
  readonly mwebBytes: number;
};

const HEADER_BYTES = 80;
// Smallest transaction: version(4) + input count(1) + output count(1) + locktime(4).
const MIN_TX_BYTES = 10;

/**
 * Decodes an 80-byte block header (`getblockheader <hash> false`, or the start of a raw block).
 * ```
 * header = version:i32 prev:32 merkle root:32 time:u32 bits:u32 nonce:u32
 * ```
 * @param raw at least 80 bytes; only the first 80 are read
 * @returns the header with its hash
 * @throws WalletError INTERNAL (TRUNCATED)
 */
export function parseBlockHeader(raw: Buffer): BlockHeader {
  if (raw.length < HEADER_BYTES) throw malformedData('TRUNCATED', raw.length, 'a block header is 80 bytes');
  return {
    hash: displayHex(sha256d(raw.subarray(0, HEADER_BYTES))),
    version: raw.readInt32LE(0),
    prevHash: displayHex(raw.subarray(4, 36)),
    merkleRoot: displayHex(raw.subarray(36, 68)),
    time: raw.readUInt32LE(68),
    bits: raw.readUInt32LE(72),
    nonce: raw.readUInt32LE(76),
  };
}

/**
 * Parses a raw block (`getblock <hash> 0`, hex-decoded) in place: the header, and each transaction's id, inputs'
 * outpoints and outputs (value and a view of the script). With `mweb`, Litecoin blocks after MWEB activation parse:
 * the last transaction may be the HogEx, and the MWEB extension block after the transaction list is skipped
 * unread (its outputs are never ours).
 * ```
 * block = header:80 tx count:compact { tx } [mweb block if mweb and the last of >= 2 txs is the HogEx]
 * mweb block = present:u8 (1, then the MWEB block to the end of the buffer)
 * ```
 * The transactions are checked against the header: their merkle root must be the header's, and no level of the
 * tree may pair two identical hashes (CVE-2012-2459). Since the caller compares the returned hash with the block
 * it asked for, a node cannot pass off other transactions under a real block hash.
 * @param raw the whole block
 * @param options see {@link RawParseOptions}
 * @returns the block
 * @throws WalletError INTERNAL with `details.reason`: any of {@link readTransaction}'s, NO_TRANSACTIONS,
 * HOGEX_POSITION (a HogEx marker not on the last transaction, or on a block's only one), TRAILING_DATA,
 * MERKLE_ROOT_MISMATCH, MERKLE_MUTATED
 */
export function parseRawBlock(raw: Buffer, options: RawParseOptions = {}): ParsedBlock {
  const header = parseBlockHeader(raw);
  const cursor = new ByteCursor(raw, HEADER_BYTES);
  const txCount = cursor.count(MIN_TX_BYTES);
  if (txCount === 0) throw malformedData('NO_TRANSACTIONS', HEADER_BYTES);
  const transactions: ParsedTx[] = new Array<ParsedTx>(txCount);
  for (let i = 0; i < txCount; i++) {
    const tx = readTransaction(cursor, options);
    // Litecoin Core: only the last transaction of a block with at least two may be the HogEx ("bad-hogex-position");
    // the coinbase can never be.
    if (tx.isHogEx && (i !== txCount - 1 || i === 0)) throw malformedData('HOGEX_POSITION', tx.start);
    transactions[i] = tx;
  }

  let mwebBytes = 0;
  if (transactions[txCount - 1]!.isHogEx) {
    // MWEB::Block is an optional pointer: 0 (none), or 1 and the block to the end. Validation requires one once the
    // HogEx is there; this parser only needs to know where the canonical data ends.
    mwebBytes = cursor.remaining;
    const markerAt = cursor.pos;
    const marker = cursor.u8();
    if (marker > 1 || (marker === 0) !== (cursor.remaining === 0)) throw malformedData('MWEB_BLOCK_MARKER', markerAt);
  } else if (cursor.remaining !== 0) {
    throw malformedData('TRAILING_DATA', cursor.pos);
  }

  const { root, mutated } = merkleRoot(transactions.map((tx) => tx.hash));
  if (!root.equals(raw.subarray(36, 68))) throw malformedData('MERKLE_ROOT_MISMATCH', 36, 'transactions do not match the header');
  if (mutated) throw malformedData('MERKLE_MUTATED', HEADER_BYTES, 'duplicate transactions in the merkle tree');
  return { ...header, transactions, mwebBytes };
}
