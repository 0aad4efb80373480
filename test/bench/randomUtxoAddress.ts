import { randomBytes } from 'node:crypto';
import { type UtxoChain, type Network, utxoNetwork } from '@wallet/keys';
import { payments } from 'bitcoinjs-lib';

/**
 * A random P2WPKH address nobody holds a key for (a random 20-byte key hash; output: OP_0 <20-byte key hash>): a
 * fresh destination outside every wallet, the node's included, cheap enough to make per request.
 */
export function randomUtxoAddress(chain: UtxoChain, network: Network): string {
  return payments.p2wpkh({ hash: randomBytes(20), network: utxoNetwork(chain, network) }).address!;
}
