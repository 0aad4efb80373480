import type { Network, UtxoChain } from '@wallet/keys';
import type { AddressIndex } from '../ChainAdapter.js';
import { addressToScript } from './addressScript.js';
import { WatchedScripts } from './WatchedScripts.js';

/**
 * Deposit addresses of a BTC or LTC chain held by their scriptPubKey in a {@link WatchedScripts} table: a block's
 * outputs are matched by their script bytes, and only a match is turned into an address.
 */
export class ScriptAddressIndex implements AddressIndex {
  readonly scripts = new WatchedScripts();

  constructor(
    private readonly chain: UtxoChain,
    private readonly network: Network,
  ) {}

  get size(): number {
    return this.scripts.size;
  }

  add(address: string, value: number): boolean {
    return this.scripts.add(addressToScript(this.chain, this.network, address), value);
  }

  get(address: string): number | undefined {
    let script: Buffer;
    try {
      script = addressToScript(this.chain, this.network, address);
    } catch {
      return undefined; // not an address of this chain: not watched
    }
    return this.scripts.get(script);
  }
}
