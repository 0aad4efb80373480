import type { BlockInputs, ObservedSpend, OutpointSet } from '../ChainAdapter.js';
import type { ParsedTx } from './parseRawTransaction.js';
import { displayHex } from './sha256d.js';
import { UtxoOutpointSet } from './UtxoOutpointSet.js';

const OUTPOINT_BYTES = 36;

/**
 * A block's inputs, copied out of the raw block (36 bytes each, plus which transaction spends it), so the block's
 * buffer can go while a scan window waits to be matched in chain order.
 */
export class UtxoBlockInputs implements BlockInputs {
  private readonly prevouts: Buffer;
  /** input -> the spending transaction's number in the block */
  private readonly txOf: Uint32Array;
  /** transaction hashes, internal byte order, 32 bytes each */
  private readonly txHashes: Buffer;

  constructor(buf: Buffer, transactions: readonly ParsedTx[]) {
    let count = 0;
    for (const tx of transactions) count += tx.prevouts.length;
    this.prevouts = Buffer.allocUnsafe(count * OUTPOINT_BYTES);
    this.txOf = new Uint32Array(count);
    this.txHashes = Buffer.allocUnsafe(transactions.length * 32);
    let input = 0;
    transactions.forEach((tx, t) => {
      tx.hash.copy(this.txHashes, t * 32);
      for (const at of tx.prevouts) {
        buf.copy(this.prevouts, input * OUTPOINT_BYTES, at, at + OUTPOINT_BYTES);
        this.txOf[input++] = t;
      }
    });
  }

  get size(): number {
    return this.txOf.length;
  }

  spends(ours: OutpointSet): ObservedSpend[] {
    const spends: ObservedSpend[] = [];
    const { prevouts, txOf, txHashes } = this;
    // Our own set is asked with the input's bytes in place; any other with the outpoint's txid and vout.
    const isOurs =
      ours instanceof UtxoOutpointSet
        ? (at: number): boolean => ours.hasAt(prevouts, at)
        : (at: number): boolean => ours.has(displayHex(prevouts.subarray(at, at + 32)), prevouts.readUInt32LE(at + 32));
    for (let i = 0; i < txOf.length; i++) {
      const at = i * OUTPOINT_BYTES;
      if (!isOurs(at)) continue;
      const t = txOf[i]!;
      spends.push({
        txid: displayHex(txHashes.subarray(t * 32, t * 32 + 32)),
        prevTxid: displayHex(prevouts.subarray(at, at + 32)),
        prevVout: prevouts.readUInt32LE(at + 32),
      });
    }
    return spends;
  }
}
