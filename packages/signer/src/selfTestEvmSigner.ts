import { secp256k1 } from '@noble/curves/secp256k1.js';
import { WalletError } from '@wallet/errors';
import { Transaction, getBytes, keccak256 } from 'ethers';
import { type Eip1559Tx } from './eip1559Tx.js';
import { EvmHotWallet } from './EvmHotWallet.js';
import { signDigest } from './signDigest.js';

// EIP-155, "Example" (ethereum/EIPs EIPS/eip-155.md): a legacy transaction signed with replay protection for chain 1.
// Its signature is RFC 6979's, so a signer with any other nonce generation, a prehash, or high S cannot reproduce it.
const eip155 = {
  privateKey: '0x4646464646464646464646464646464646464646464646464646464646464646',
  tx: {
    type: 0,
    chainId: 1n,
    nonce: 9,
    gasPrice: 20_000_000_000n,
    gasLimit: 21_000n,
    to: '0x3535353535353535353535353535353535353535',
    value: 10n ** 18n,
    data: '0x',
  },
  signed:
    '0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
} as const;

// An EIP-1559 (type 2) transaction signed with EIP-155's example key. EIP-1559 publishes no signed example, so this
// vector was computed outside this codebase, by a throwaway script that wrote out keccak-256, RLP, secp256k1 point
// arithmetic and RFC 6979 (HMAC-SHA256 from node:crypto) by hand in BigInt, with neither ethers nor @noble: the
// script reproduced EIP-155's published signature above before it was trusted with this one, and its result agrees
// with ethers 6 and with this package's signer. Layout of `signed`:
//   0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data, accessList = [],
//                yParity, r, s])
// and the signature is over keccak256(0x02 || rlp([chainId .. accessList])).
const eip1559KnownAnswer = {
  privateKey: eip155.privateKey,
  tx: {
    chainId: 1,
    nonce: 7,
    to: '0x3535353535353535353535353535353535353535',
    value: 10n ** 18n,
    data: '0xa9059cbb',
    gasLimit: 60_000n,
    maxFeePerGas: 30_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  } satisfies Eip1559Tx,
  signed:
    '0x02f8770107843b9aca008506fc23ac0082ea60943535353535353535353535353535353535353535880de0b6b3a764000084a9059cbbc080a09ebd2e39a48ca14287c7b81dc70149c7392f226ba5ca26a41345cfcbe6fb1404a026575adadb8b12d00a9c26c8d148ad422d820942d208d684fb82d78ccb532816',
  txid: '0x79478a198f8129766853a7c1055de44462b4d241f30c1ba06d969c560de2b4ef',
} as const;

// The round trip below signs the same transaction with a throwaway key.
const eip1559: Eip1559Tx = eip1559KnownAnswer.tx;

/**
 * Known-answer test of the EVM signer, run once at signsrv start-up before any key is loaded (as bitcoinjs-lib's
 * `initEccLib` checks its backend): a broken or swapped curve library must stop the process, not sign withdrawals.
 * Checks that
 * - the signing primitive the hot wallet uses reproduces the published EIP-155 example byte for byte;
 * - the wallet's address for that key is the one its published signature recovers to;
 * - the hot wallet signs a fixed EIP-1559 transaction with that key into the independently computed bytes and txid;
 * - a throwaway key signs an EIP-1559 transaction deterministically, ethers parses it back with the same fields, and
 *   recovers the wallet's address from it.
 * @throws WalletError INTERNAL 'signer self-test failed', `details.check` naming the check that failed
 */
export function selfTestEvmSigner(): void {
  check('EIP155_KNOWN_ANSWER', () => {
    const tx = Transaction.from(eip155.tx);
    const key = getBytes(eip155.privateKey);
    tx.signature = signDigest(key, getBytes(tx.unsignedHash));
    return tx.serialized === eip155.signed;
  });

  check('ADDRESS', () => {
    const wallet = new EvmHotWallet(getBytes(eip155.privateKey), 'eip-155 example');
    return Transaction.from(eip155.signed).from === wallet.address;
  });

  check('EIP1559_KNOWN_ANSWER', () => {
    const key = getBytes(eip1559KnownAnswer.privateKey);
    const wallet = new EvmHotWallet(key, 'eip-1559 known answer');
    key.fill(0);
    try {
      const signed = wallet.signEip1559(eip1559KnownAnswer.tx);
      return signed.raw === eip1559KnownAnswer.signed && signed.txid === eip1559KnownAnswer.txid;
    } finally {
      wallet.wipe();
    }
  });

  check('EIP1559_ROUND_TRIP', () => {
    const key = secp256k1.utils.randomSecretKey();
    const wallet = new EvmHotWallet(key, 'self-test');
    key.fill(0);
    try {
      const signed = wallet.signEip1559(eip1559);
      const again = wallet.signEip1559(eip1559);
      const parsed = Transaction.from(signed.raw);
      return (
        again.raw === signed.raw &&
        signed.txid === keccak256(signed.raw) &&
        parsed.hash === signed.txid &&
        parsed.type === 2 &&
        parsed.from === wallet.address &&
        parsed.chainId === BigInt(eip1559.chainId) &&
        parsed.nonce === eip1559.nonce &&
        parsed.to === eip1559.to &&
        parsed.value === eip1559.value &&
        parsed.data === eip1559.data &&
        parsed.gasLimit === eip1559.gasLimit &&
        parsed.maxFeePerGas === eip1559.maxFeePerGas &&
        parsed.maxPriorityFeePerGas === eip1559.maxPriorityFeePerGas
      );
    } finally {
      wallet.wipe();
    }
  });
}

function check(name: string, test: () => boolean): void {
  let passed = false;
  let cause: unknown;
  try {
    passed = test();
  } catch (error) {
    cause = error;
  }
  if (!passed) throw new WalletError('INTERNAL', 'signer self-test failed', { details: { check: name }, cause });
}
