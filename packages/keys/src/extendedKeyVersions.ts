import { type Chain } from './chain.js';
import { type Network } from './network.js';

/**
 * Version bytes (the first 4 bytes of a serialized BIP32 key, which make its base58 prefix) of the extended
 * public keys this package accepts, each with its private twin: BIP32 for xpub/tpub, SLIP-132 for the rest.
 * The key material does not depend on the version; the version only says which address type a wallet meant.
 */
export const extendedKeyVersions = {
  /** BIP32 mainnet (xprv). */
  xpub: { public: 0x0488b21e, private: 0x0488ade4 },
  /** BIP32 testnet and regtest (tprv). */
  tpub: { public: 0x043587cf, private: 0x04358394 },
  /** SLIP-132 P2WPKH (BIP84) mainnet (zprv). */
  zpub: { public: 0x04b24746, private: 0x04b2430c },
  /** SLIP-132 P2WPKH (BIP84) testnet and regtest (vprv). */
  vpub: { public: 0x045f1cf6, private: 0x045f18bc },
  /** SLIP-132 Litecoin mainnet, as Electrum-LTC and Trezor export it (Ltpv). */
  Ltub: { public: 0x019da462, private: 0x019d9cfe },
  /** SLIP-132 Litecoin testnet (ttpv). */
  ttub: { public: 0x0436f6e1, private: 0x0436ef7d },
} as const;

export type ExtendedKeyVersionName = keyof typeof extendedKeyVersions;

// Which versions an account key may carry, per chain and network. Refused on purpose: ypub/upub/Mtub (SLIP-132
// P2WPKH-in-P2SH, i.e. a BIP49 account: deriving native segwit addresses from it would not be the addresses
// its owner expects) and any version of the other network (a testnet key configured on mainnet is a mistake).
const accepted: Readonly<Record<Chain, Readonly<Record<Network, readonly ExtendedKeyVersionName[]>>>> = {
  eth: { mainnet: ['xpub'], testnet: ['xpub', 'tpub'], regtest: ['xpub', 'tpub'] },
  btc: { mainnet: ['xpub', 'zpub'], testnet: ['tpub', 'vpub'], regtest: ['tpub', 'vpub'] },
  ltc: { mainnet: ['xpub', 'zpub', 'Ltub'], testnet: ['tpub', 'vpub', 'ttub'], regtest: ['tpub', 'vpub', 'ttub'] },
};

/**
 * The extended public key versions accepted for an account key of this chain and network.
 * @param chain eth, btc or ltc
 * @param network mainnet, testnet or regtest
 * @returns the accepted version names, the one {@link accountXpubFromMnemonic} emits first
 */
export function acceptedXpubVersions(chain: Chain, network: Network): readonly ExtendedKeyVersionName[] {
  return accepted[chain][network];
}

/**
 * The version {@link accountXpubFromMnemonic} serializes with: xpub for EVM (what EVM wallets export, on every
 * network), zpub/vpub for BTC and LTC (BIP84's own vectors use zpub).
 * @param chain eth, btc or ltc
 * @param network mainnet, testnet or regtest
 * @returns a version name of {@link extendedKeyVersions}
 */
export function emittedXpubVersion(chain: Chain, network: Network): ExtendedKeyVersionName {
  if (chain === 'eth') return 'xpub';
  return network === 'mainnet' ? 'zpub' : 'vpub';
}

// Other well-known versions, only to name in an error what was handed over (never to accept them).
const otherVersions: ReadonlyMap<number, { name: string; isPrivate: boolean }> = new Map([
  [0x049d7cb2, { name: 'ypub', isPrivate: false }],
  [0x049d7878, { name: 'yprv', isPrivate: true }],
  [0x044a5262, { name: 'upub', isPrivate: false }],
  [0x044a4e28, { name: 'uprv', isPrivate: true }],
  [0x01b26ef6, { name: 'Mtub', isPrivate: false }],
  [0x01b26792, { name: 'Mtpv', isPrivate: true }],
  [0x0295b43f, { name: 'Ypub', isPrivate: false }],
  [0x0295b005, { name: 'Yprv', isPrivate: true }],
  [0x02aa7ed3, { name: 'Zpub', isPrivate: false }],
  [0x02aa7a99, { name: 'Zprv', isPrivate: true }],
]);

const privateNames: Readonly<Record<ExtendedKeyVersionName, string>> = {
  xpub: 'xprv',
  tpub: 'tprv',
  zpub: 'zprv',
  vpub: 'vprv',
  Ltub: 'Ltpv',
  ttub: 'ttpv',
};

const versionEntries = Object.entries(extendedKeyVersions) as [ExtendedKeyVersionName, { public: number; private: number }][];

/**
 * A readable name for version bytes, for error details.
 * @param version the first 4 bytes of a serialized extended key, big-endian
 * @returns e.g. 'zpub', 'xprv', or '0x0488b21f' when unknown
 */
export function extendedKeyVersionName(version: number): string {
  for (const [name, versions] of versionEntries) {
    if (versions.public === version) return name;
    if (versions.private === version) return privateNames[name];
  }
  return otherVersions.get(version)?.name ?? `0x${version.toString(16).padStart(8, '0')}`;
}

/**
 * Whether these version bytes are those of a private extended key we know of (xprv, zprv, Ltpv, yprv, ...).
 * @param version the first 4 bytes of a serialized extended key, big-endian
 * @returns true for a known private version
 */
export function isPrivateExtendedKeyVersion(version: number): boolean {
  return versionEntries.some(([, versions]) => versions.private === version) || otherVersions.get(version)?.isPrivate === true;
}
