import { type Network as BitcoinjsNetwork, networks } from 'bitcoinjs-lib';
import { type Network } from './network.js';

/**
 * bitcoinjs-lib network parameters of Bitcoin, by our network name (bitcoinjs-lib's own objects, so signsrv can
 * hand them to `Psbt`). Address prefixes: P2PKH 0x00 / P2SH 0x05 / bech32 `bc` on mainnet; 0x6f / 0xc4 with
 * `tb` on testnet and `bcrt` on regtest.
 */
export const bitcoinNetworks: Readonly<Record<Network, BitcoinjsNetwork>> = Object.freeze({
  mainnet: networks.bitcoin,
  testnet: networks.testnet,
  regtest: networks.regtest,
});
