import type { OutpointSet } from '../ChainAdapter.js';

const OUTPOINT_BYTES = 36;

/** 32 bits of an outpoint (txid bytes 0-3 xor vout): a first check that costs no allocation. */
function fingerprint(bytes: Buffer, at: number): number {
  return bytes.readInt32LE(at) ^ bytes.readInt32LE(at + 32);
}

/** The 36 outpoint bytes of `txid:vout` (txid in internal byte order, vout little-endian). */
function outpointBytes(txid: string, vout: number): Buffer {
  const bytes = Buffer.alloc(OUTPOINT_BYTES);
  Buffer.from(txid, 'hex').reverse().copy(bytes);
  bytes.writeUInt32LE(vout, 32);
  return bytes;
}

/**
 * Outpoints (our unspent outputs) as a block's inputs are matched against them: an input is looked up by its 36 bytes
 * in the block, first by a 32-bit fingerprint (no string is made for the inputs that are not ours, nearly all of them),
 * then by the bytes as a latin1 string.
 */
export class UtxoOutpointSet implements OutpointSet {
  readonly #keys = new Set<string>();
  /** fingerprint -> how many keys have it */
  readonly #prints = new Map<number, number>();

  get size(): number {
    return this.#keys.size;
  }

  add(txid: string, vout: number): void {
    const bytes = outpointBytes(txid, vout);
    const key = bytes.toString('latin1');
    if (this.#keys.has(key)) return;
    this.#keys.add(key);
    const print = fingerprint(bytes, 0);
    this.#prints.set(print, (this.#prints.get(print) ?? 0) + 1);
  }

  delete(txid: string, vout: number): boolean {
    const bytes = outpointBytes(txid, vout);
    if (!this.#keys.delete(bytes.toString('latin1'))) return false;
    const print = fingerprint(bytes, 0);
    const left = this.#prints.get(print)! - 1;
    if (left === 0) this.#prints.delete(print);
    else this.#prints.set(print, left);
    return true;
  }

  has(txid: string, vout: number): boolean {
    return this.#keys.has(outpointBytes(txid, vout).toString('latin1'));
  }

  /** Whether the outpoint whose 36 bytes start at `bytes[at]` is in the set. */
  hasAt(bytes: Buffer, at: number): boolean {
    if (!this.#prints.has(fingerprint(bytes, at))) return false;
    return this.#keys.has(bytes.toString('latin1', at, at + OUTPOINT_BYTES));
  }
}
