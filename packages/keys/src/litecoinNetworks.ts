import { type Network as BitcoinjsNetwork } from 'bitcoinjs-lib';
import { type Network } from './network.js';

// Litecoin Core chainparams (src/chainparams.cpp): PUBKEY_ADDRESS, SCRIPT_ADDRESS2 (its current P2SH prefix),
// SECRET_KEY, bech32_hrp, and EXT_PUBLIC_KEY/EXT_SECRET_KEY, which are Bitcoin's xpub/xprv and tpub/tprv (the
// Ltub/ttub versions of SLIP-132 are Electrum-LTC's; extendedKeyVersions accepts them for account keys).
const litecoin: BitcoinjsNetwork = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'ltc',
  bip32: { public: 0x0488b21e, private: 0x0488ade4 },
  pubKeyHash: 0x30,
  scriptHash: 0x32,
  wif: 0xb0,
};

const litecoinTestnet: BitcoinjsNetwork = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'tltc',
  bip32: { public: 0x043587cf, private: 0x04358394 },
  pubKeyHash: 0x6f,
  scriptHash: 0x3a,
  wif: 0xef,
};

/**
 * bitcoinjs-lib network parameters of Litecoin, by our network name (for signsrv's `Psbt` as well as for
 * address encoding here). P2PKH 0x30 (`L`) / P2SH 0x32 (`M`) / bech32 `ltc` on mainnet; 0x6f / 0x3a (`Q`) with
 * `tltc` on testnet and `rltc` on regtest.
 */
export const litecoinNetworks: Readonly<Record<Network, BitcoinjsNetwork>> = Object.freeze({
  mainnet: Object.freeze(litecoin),
  testnet: Object.freeze(litecoinTestnet),
  regtest: Object.freeze({ ...litecoinTestnet, bech32: 'rltc' }),
});

/**
 * The P2SH version byte Litecoin used before it moved P2SH to its own prefix (`3...` on mainnet, `2...` on
 * testnet and regtest: the same bytes as Bitcoin's). Litecoin Core still decodes it, so a withdrawal to one is
 * accepted; the address is re-encoded with the current prefix (`M...`/`Q...`), as litecoind itself does.
 */
export const litecoinLegacyScriptHash: Readonly<Record<Network, number>> = Object.freeze({
  mainnet: 0x05,
  testnet: 0xc4,
  regtest: 0xc4,
});
