/** The longest script a {@link WatchedScripts} holds: P2WSH and P2TR outputs are 34 bytes, P2PKH 25, P2WPKH 22. */
export const MAX_WATCHED_SCRIPT_BYTES = 34;

// entry = length:u8 key:maxBytes (zero-padded); entries are appended in insertion order and never move
const INITIAL_SLOTS = 1024;

/**
 * A set of scriptPubKeys (or other short byte strings: an EVM address's 20 bytes) with a number for each (e.g. the
 * address row it belongs to), in flat typed arrays instead of a Map of strings: 1,000,000 scripts take about 47 MB
 * (35 bytes each plus an open-addressing index at most half full; 20-byte keys about 33 MB), and a lookup takes a
 * script straight out of a block buffer without copying or converting it.
 *
 * Lookups cost the same whatever the block holds: the index is filled only with our own scripts (hashes of our
 * keys), so crafted outputs cannot lengthen its probe chains.
 */
export class WatchedScripts {
  /** Bytes of one entry: the key's length and the key, zero-padded to the longest key this table holds. */
  private readonly entryBytes: number;
  private entries: Buffer;
  private values = new Uint32Array(INITIAL_SLOTS);
  // slot -> entry number + 1 (0: empty); capacity a power of two, kept at most half full
  private slots = new Int32Array(INITIAL_SLOTS * 2);
  private count = 0;

  /** @param maxBytes the longest key it holds @default MAX_WATCHED_SCRIPT_BYTES (34, any script a deposit uses) */
  constructor(private readonly maxBytes = MAX_WATCHED_SCRIPT_BYTES) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > 255) throw new RangeError('maxBytes is 1..255');
    this.entryBytes = 1 + maxBytes;
    this.entries = Buffer.alloc(INITIAL_SLOTS * this.entryBytes);
  }

  /** How many scripts are watched. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the table's arrays (for the benchmark's memory figures). */
  get byteLength(): number {
    return this.entries.byteLength + this.values.byteLength + this.slots.byteLength;
  }

  /**
   * Watches a script.
   * @param script the scriptPubKey, at most 34 bytes; copied
   * @param value a u32 the caller gets back from {@link get}
   * @returns false (and keeps the first value) when the script is already watched
   * @throws RangeError for a script of more than 34 bytes or a value that is not a u32
   */
  add(script: Uint8Array, value: number): boolean {
    if (script.length > this.maxBytes) throw new RangeError(`a watched script is at most ${this.maxBytes} bytes`);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError('value must be a u32');
    if (this.find(script) !== -1) return false;
    if ((this.count + 1) * 2 > this.slots.length) this.growIndex();
    if (this.count === this.values.length) this.growEntries();
    const entry = this.count++;
    const at = entry * this.entryBytes;
    this.entries[at] = script.length;
    this.entries.set(script, at + 1);
    this.values[entry] = value;
    this.place(entry, hashOf(script, 0, script.length));
    return true;
  }

  /**
   * @param script e.g. an output's script as the block parser returns it (a view into the block)
   * @returns the value given when the script was added, or undefined when it is not watched
   */
  get(script: Uint8Array): number | undefined {
    const entry = this.find(script);
    return entry === -1 ? undefined : this.values[entry];
  }

  /** Whether the script is watched. */
  has(script: Uint8Array): boolean {
    return this.find(script) !== -1;
  }

  /**
   * {@link get} for the script at `bytes[start, start + length)`, read in place (no view or copy is made: a block
   * scan asks this for every output).
   */
  getAt(bytes: Uint8Array, start: number, length: number): number | undefined {
    const entry = this.findAt(bytes, start, length);
    return entry === -1 ? undefined : this.values[entry];
  }

  private find(script: Uint8Array): number {
    return this.findAt(script, 0, script.length);
  }

  private findAt(bytes: Uint8Array, start: number, length: number): number {
    if (length > this.maxBytes) return -1;
    const mask = this.slots.length - 1;
    const entries = this.entries;
    for (let slot = hashOf(bytes, start, start + length) & mask; ; slot = (slot + 1) & mask) {
      const stored = this.slots[slot]!;
      if (stored === 0) return -1;
      const at = (stored - 1) * this.entryBytes;
      if (entries[at] !== length) continue;
      let i = 0;
      while (i < length && entries[at + 1 + i] === bytes[start + i]) i++;
      if (i === length) return stored - 1;
    }
  }

  private place(entry: number, hash: number): void {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = entry + 1;
  }

  private growIndex(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let entry = 0; entry < this.count; entry++) {
      const at = entry * this.entryBytes;
      this.place(entry, hashOf(this.entries, at + 1, at + 1 + this.entries[at]!));
    }
  }

  private growEntries(): void {
    const capacity = this.values.length * 2;
    const entries = Buffer.alloc(capacity * this.entryBytes);
    this.entries.copy(entries);
    this.entries = entries;
    const values = new Uint32Array(capacity);
    values.set(this.values);
    this.values = values;
  }
}

// FNV-1a, 32 bits
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
