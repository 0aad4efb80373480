import { WalletError } from '@wallet/errors';

// Bitcoin Core's MAX_SIZE (serialize.h): no length or count in a block or transaction is larger.
const MAX_SIZE = 0x02000000;

/**
 * The error every raw block or transaction parser throws: the node answered bytes that are not a valid
 * serialization (INTERNAL, as any malformed node answer). `details.reason` is stable; `details.offset` is the byte
 * where parsing stopped.
 */
export function malformedData(reason: string, offset: number, message = reason): WalletError<'INTERNAL'> {
  return new WalletError('INTERNAL', `Malformed raw block or transaction: ${message}`, { details: { reason, offset } });
}

/**
 * A read position in a Buffer, with bounds-checked little-endian reads. Nothing is copied: parsers keep offsets and
 * subarrays of the one buffer the node's answer was decoded into.
 */
export class ByteCursor {
  /** @param buf the bytes; @param pos where reading starts */
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}

  /** Bytes left after the position. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Throws unless `n` more bytes are there. */
  need(n: number): void {
    if (n > this.buf.length - this.pos) throw malformedData('TRUNCATED', this.pos, `${n} bytes needed, ${this.remaining} left`);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  i64(): bigint {
    this.need(8);
    const value = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  /**
   * A CompactSize (Bitcoin Core `ReadCompactSize`): one byte below 0xfd, else 0xfd + u16, 0xfe + u32, 0xff + u64,
   * each in its shortest form, and at most MAX_SIZE.
   */
  compactSize(): number {
    const start = this.pos;
    const first = this.u8();
    let value: number;
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.need(2);
      value = this.buf.readUInt16LE(this.pos);
      this.pos += 2;
      if (value < 0xfd) throw malformedData('NON_CANONICAL_SIZE', start);
    } else if (first === 0xfe) {
      value = this.u32();
      if (value < 0x10000) throw malformedData('NON_CANONICAL_SIZE', start);
    } else {
      // 0xff: a u64, which is >= 2^32 in its shortest form and so always beyond MAX_SIZE.
      throw malformedData('SIZE_TOO_LARGE', start);
    }
    if (value > MAX_SIZE) throw malformedData('SIZE_TOO_LARGE', start);
    return value;
  }

  /**
   * A count of items of at least `minItemBytes` each: refused when the rest of the buffer cannot hold them, so a
   * corrupt count never makes the parser allocate for millions of items.
   */
  count(minItemBytes: number): number {
    const start = this.pos;
    const n = this.compactSize();
    if (n * minItemBytes > this.remaining) throw malformedData('TRUNCATED', start, `${n} items cannot fit in ${this.remaining} bytes`);
    return n;
  }
}
