import { WalletError } from '@wallet/errors';
import type { AddressIndex } from './ChainAdapter.js';
import { WatchedScripts } from './utxo/WatchedScripts.js';

const ADDRESS_BYTES = 20;

/**
 * Deposit addresses of an EVM chain held as their 20 bytes in a {@link WatchedScripts} table rather than as strings in
 * a Map: about 33 bytes an address against about 94 (1,000,000 addresses: 33 MB instead of 94 MB of heap), outside
 * V8's heap, so the garbage collector does not walk them. A lookup reads the address's 40 hex digits into a scratch
 * buffer (any case: a checksummed address matches its lower-case form) and finds the bytes in the table.
 */
export class EvmAddressIndex implements AddressIndex {
  readonly #table = new WatchedScripts(ADDRESS_BYTES);
  readonly #key = new Uint8Array(ADDRESS_BYTES);

  get size(): number {
    return this.#table.size;
  }

  /** Bytes held by the table's arrays (for the benchmark's memory figures). */
  get byteLength(): number {
    return this.#table.byteLength;
  }

  /** @throws WalletError INVALID_ADDRESS when `address` is not 0x and 40 hex digits */
  add(address: string, value: number): boolean {
    if (!this.#read(address)) throw new WalletError('INVALID_ADDRESS', 'not an EVM address', { details: { address } });
    return this.#table.add(this.#key, value);
  }

  get(address: string): number | undefined {
    return this.#read(address) ? this.#table.get(this.#key) : undefined;
  }

  /** Reads `0x` and 40 hex digits into the scratch key. @returns false for anything else */
  #read(address: string): boolean {
    if (address.length !== 2 + 2 * ADDRESS_BYTES || address.charCodeAt(0) !== 48 || (address.charCodeAt(1) | 0x20) !== 120) return false;
    for (let i = 0; i < ADDRESS_BYTES; i++) {
      const hi = digit(address.charCodeAt(2 + 2 * i));
      const lo = digit(address.charCodeAt(3 + 2 * i));
      if ((hi | lo) < 0) return false;
      this.#key[i] = (hi << 4) | lo;
    }
    return true;
  }
}

function digit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}
