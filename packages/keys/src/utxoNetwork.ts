import { type Network as BitcoinjsNetwork } from 'bitcoinjs-lib';
import { bitcoinNetworks } from './bitcoinNetworks.js';
import { type UtxoChain } from './chain.js';
import { litecoinNetworks } from './litecoinNetworks.js';
import { type Network } from './network.js';

/**
 * The bitcoinjs-lib network object of a UTXO chain on a network.
 * @param chain 'btc' or 'ltc'
 * @param network mainnet, testnet or regtest
 * @returns the object to pass to bitcoinjs-lib `payments` and `address` functions
 */
export function utxoNetwork(chain: UtxoChain, network: Network): BitcoinjsNetwork {
  return chain === 'btc' ? bitcoinNetworks[network] : litecoinNetworks[network];
}
