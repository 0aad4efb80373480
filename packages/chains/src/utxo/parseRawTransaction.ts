import { ByteCursor, malformedData } from './ByteCursor.js';
import { displayHex, sha256d } from './sha256d.js';

/** A transaction output: what a deposit is made of. */
export type TxOutput = {
  /** Satoshi (litoshi on Litecoin); never negative. */
  readonly value: bigint;
  /** The scriptPubKey: a view into the parsed buffer (not a copy), valid as long as the buffer is not reused. */
  readonly script: Buffer;
};

/** An input's previous output: what a spend of one of our outputs is recognised by. */
export type OutPoint = {
  /** Display (RPC) hex. */
  readonly txid: string;
  readonly vout: number;
};

/**
 * One transaction, as much of it as a deposit scanner needs. Read lazily from the parsed buffer: `txid`, `inputs` and
 * `outputs` build their strings and objects when asked (a block scan asks for them only for the few transactions that
 * concern it); {@link outputCount}, {@link outputScriptAt} and {@link outputScriptLength} read an output in place.
 */
export type ParsedTx = {
  /** Display (RPC) hex of double-SHA256 of the non-witness, non-MWEB serialization. */
  readonly txid: string;
  /** The same hash in internal byte order (as outpoints and the merkle tree hold it). */
  readonly hash: Buffer;
  /**
   * The coinbase's single input has the null outpoint (all-zero txid, vout 0xffffffff). Decoded when read (a getter):
   * a scanner that only needs the raw outpoints reads {@link prevouts}.
   */
  readonly inputs: readonly OutPoint[];
  /** Where each input's previous output (txid:32 in internal order, vout:u32 LE) starts in the parsed buffer. */
  readonly prevouts: readonly number[];
  readonly outputs: readonly TxOutput[];
  /** How many outputs. */
  readonly outputCount: number;
  /** Where output `i`'s script starts in the parsed buffer. */
  outputScriptAt(i: number): number;
  outputScriptLength(i: number): number;
  /** Output `i`'s value (satoshi). */
  outputValue(i: number): bigint;
  readonly hasWitness: boolean;
  /**
   * Litecoin's HogEx (integrating) transaction: the last of an MWEB block, marked by the MWEB flag with no MWEB
   * data. Its first output holds the MWEB coins; the others are peg-outs to ordinary (canonical) scripts.
   */
  readonly isHogEx: boolean;
  /** Where the serialization starts and ends in the buffer (with witness data, for a block: the next tx starts at `end`). */
  readonly start: number;
  readonly end: number;
};

/** What the parsers accept beyond Bitcoin's serialization. */
export type RawParseOptions = {
  /**
   * Accept Litecoin's MWEB serialization (flag bit 0x08): a HogEx marker, and an extension block after a block's
   * transactions. Bitcoin refuses the flag as unknown.
   * @default false
   */
  readonly mweb?: boolean;
};

// flag bits (Litecoin Core primitives/transaction.h): 0x01 witnesses follow the outputs, 0x08 MWEB data (a
// one-byte "present" marker and, when 1, an MWEB transaction) follows the witnesses.
const WITNESS_FLAG = 0x01;
const MWEB_FLAG = 0x08;
// Smallest serializations: input = prevout(36) + script length(1) + sequence(4); output = value(8) + length(1).
const MIN_INPUT_BYTES = 41;
const MIN_OUTPUT_BYTES = 9;

// Scratch space for the non-witness serialization of a segwit transaction (version | ins | outs | locktime),
// which is not contiguous in the buffer. Grown when needed; parsing is synchronous, so one buffer serves all.
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads one transaction at the cursor and advances it past the transaction.
 *
 * ```
 * tx       = version:i32 [marker:0x00 flags:u8] ins outs [witness per input if flags&1] [mweb if flags&8] locktime:u32
 * ins      = count { prev txid:32 prev vout:u32 script:bytes sequence:u32 }
 * outs     = count { value:i64 script:bytes }
 * witness  = count { item:bytes }
 * mweb     = present:u8 (0: the HogEx marker; 1: an MWEB transaction, which no block may carry in its vtx)
 * ```
 * The marker is told from a transaction without inputs the way Bitcoin Core does: an input count of 0 is a marker.
 * @param cursor positioned at the transaction; the buffer is not copied
 * @param options see {@link RawParseOptions}
 * @returns the transaction
 * @throws WalletError INTERNAL with `details.reason` (TRUNCATED, UNKNOWN_FLAGS, SUPERFLUOUS_WITNESS, MWEB_TX_DATA,
 * HOGEX_WITHOUT_OUTPUTS, NEGATIVE_VALUE, NON_CANONICAL_SIZE, SIZE_TOO_LARGE)
 */
export function readTransaction(cursor: ByteCursor, options: RawParseOptions = {}): ParsedTx {
  const buf = cursor.buf;
  const start = cursor.pos;
  cursor.skip(4); // version
  let flags = 0;
  let bodyStart = cursor.pos;
  let inputCount = cursor.count(MIN_INPUT_BYTES);
  if (inputCount === 0) {
    // marker 0x00 read as an empty input list; then the flags, then the real inputs
    const flagsAt = cursor.pos;
    flags = cursor.u8();
    if (flags === 0) throw malformedData('UNKNOWN_FLAGS', flagsAt, 'flags byte is zero');
    const known = options.mweb === true ? WITNESS_FLAG | MWEB_FLAG : WITNESS_FLAG;
    if ((flags & ~known) !== 0) throw malformedData('UNKNOWN_FLAGS', flagsAt, `unknown flags 0x${flags.toString(16)}`);
    bodyStart = cursor.pos;
    inputCount = cursor.count(MIN_INPUT_BYTES);
  }

  const prevouts: number[] = new Array<number>(inputCount);
  for (let i = 0; i < inputCount; i++) {
    cursor.need(36);
    const at = cursor.pos;
    prevouts[i] = at;
    cursor.pos = at + 36;
    cursor.skip(cursor.compactSize()); // scriptSig
    cursor.skip(4); // sequence
  }

  const outputCount = cursor.count(MIN_OUTPUT_BYTES);
  // per output: where its value starts, where its script starts, the script's length
  const outputsAt: number[] = new Array<number>(outputCount * 3);
  for (let i = 0; i < outputCount; i++) {
    const at = cursor.pos;
    cursor.need(8);
    if ((buf[at + 7]! & 0x80) !== 0) throw malformedData('NEGATIVE_VALUE', at); // i64 little-endian: sign in the last byte
    cursor.pos = at + 8;
    const length = cursor.compactSize();
    cursor.need(length);
    outputsAt[i * 3] = at;
    outputsAt[i * 3 + 1] = cursor.pos;
    outputsAt[i * 3 + 2] = length;
    cursor.pos += length;
  }
  const bodyEnd = cursor.pos;

  let hasWitness = false;
  if ((flags & WITNESS_FLAG) !== 0) {
    const witnessAt = cursor.pos;
    for (let i = 0; i < inputCount; i++) {
      const items = cursor.count(1);
      if (items > 0) hasWitness = true;
      for (let j = 0; j < items; j++) cursor.skip(cursor.compactSize());
    }
    // Bitcoin Core: "Superfluous witness record", a flag with nothing behind it is not a valid serialization.
    if (!hasWitness) throw malformedData('SUPERFLUOUS_WITNESS', witnessAt);
  }

  let isHogEx = false;
  if ((flags & MWEB_FLAG) !== 0) {
    const mwebAt = cursor.pos;
    // Blocks keep MWEB transactions in the extension block: a transaction in a block's list carries none
    // (Litecoin Core MWEB::Node::CheckBlock, "unexpected-mweb-data"), so a present one is refused, not skipped.
    if (cursor.u8() !== 0) throw malformedData('MWEB_TX_DATA', mwebAt, 'transaction carries MWEB data');
    if (outputCount === 0) throw malformedData('HOGEX_WITHOUT_OUTPUTS', mwebAt);
    isHogEx = true;
  }

  const lockTimeAt = cursor.pos;
  cursor.skip(4);
  const end = cursor.pos;

  let hash: Buffer;
  if (flags === 0) {
    hash = sha256d(buf.subarray(start, end));
  } else {
    // txid commits to version | ins | outs | locktime only (no marker, flags, witnesses or MWEB data)
    const bodyLength = bodyEnd - bodyStart;
    const length = 8 + bodyLength;
    if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, scratch.length * 2));
    buf.copy(scratch, 0, start, start + 4);
    buf.copy(scratch, 4, bodyStart, bodyEnd);
    buf.copy(scratch, 4 + bodyLength, lockTimeAt, end);
    hash = sha256d(scratch.subarray(0, length));
  }
  return new RawTransaction(buf, hash, prevouts, outputsAt, hasWitness, isHogEx, start, end);
}

/** A {@link ParsedTx} over its block's (or its own) buffer. */
class RawTransaction implements ParsedTx {
  #txid: string | undefined;

  constructor(
    private readonly buf: Buffer,
    readonly hash: Buffer,
    readonly prevouts: readonly number[],
    private readonly outputsAt: readonly number[],
    readonly hasWitness: boolean,
    readonly isHogEx: boolean,
    readonly start: number,
    readonly end: number,
  ) {}

  get txid(): string {
    return (this.#txid ??= displayHex(this.hash));
  }

  get inputs(): OutPoint[] {
    const buf = this.buf;
    return this.prevouts.map((at) => ({ txid: displayHex(buf.subarray(at, at + 32)), vout: buf.readUInt32LE(at + 32) }));
  }

  get outputs(): TxOutput[] {
    return Array.from({ length: this.outputCount }, (_, i) => ({
      value: this.outputValue(i),
      script: this.buf.subarray(this.outputScriptAt(i), this.outputScriptAt(i) + this.outputScriptLength(i)),
    }));
  }

  get outputCount(): number {
    return this.outputsAt.length / 3;
  }

  outputScriptAt(i: number): number {
    return this.outputsAt[i * 3 + 1]!;
  }

  outputScriptLength(i: number): number {
    return this.outputsAt[i * 3 + 2]!;
  }

  outputValue(i: number): bigint {
    return this.buf.readBigInt64LE(this.outputsAt[i * 3]);
  }

  /** The plain fields, as a test or a log compares them. */
  toJSON(): object {
    const { txid, hash, inputs, outputs, hasWitness, isHogEx, start, end } = this;
    return { txid, hash, inputs, outputs, hasWitness, isHogEx, start, end };
  }
}

/**
 * Parses one raw transaction (`getrawtransaction <txid>` hex, decoded): legacy or segwit, and with `mweb` Litecoin's
 * HogEx marker.
 * @param raw the whole serialization; trailing bytes are refused
 * @param options see {@link RawParseOptions}
 * @returns the transaction
 * @throws WalletError INTERNAL with `details.reason` (see {@link readTransaction}; TRAILING_DATA)
 */
export function parseRawTransaction(raw: Buffer, options: RawParseOptions = {}): ParsedTx {
  const cursor = new ByteCursor(raw);
  const tx = readTransaction(cursor, options);
  if (cursor.remaining !== 0) throw malformedData('TRAILING_DATA', cursor.pos);
  return tx;
}
