// Benchmark (not a test): EIP-1559 transactions signed per second by EvmHotWallet.signEip1559, which checks every
// signature against the wallet's precomputed public key (SignatureVerifier) before releasing it, against a baseline
// measured in the same run that signs the same transactions the same way but checks each signature by recovering
// the signer's address with ethers (what signEip1559 did before). Both sides must produce byte-identical
// transactions. Signing runs inside signsrv's signing transaction, with the nonce allocator locked, so its cost is
// lock hold time for every approval in a batch.
// Prints the figures and appends one JSON line to bench/results/signer.jsonl at the repository root.
//
//   node --conditions=wallet-source --import tsx packages/signer/bench/signEip1559.bench.ts
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Transaction, getBytes, keccak256, recoverAddress } from 'ethers';
import { EvmHotWallet } from '../src/EvmHotWallet.js';
import type { Eip1559Tx } from '../src/eip1559Tx.js';
import { signDigest } from '../src/signDigest.js';

const COUNT = 2_000;
const WARMUP = 200;
const resultsDir = new URL('../../../bench/results/', import.meta.url);
// A public test key (never a real wallet's).
const key = Uint8Array.from(Buffer.from('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318', 'hex'));
const wallet = new EvmHotWallet(key, 'bench');
const tx = (nonce: number): Eip1559Tx => ({
  chainId: 1,
  nonce,
  to: '0x3535353535353535353535353535353535353535',
  value: 10n ** 16n + BigInt(nonce),
  data: '0x',
  gasLimit: 21_000n,
  maxFeePerGas: 30_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
});

/** The baseline: the same signature, checked by recovering the address through ethers. */
function signWithRecovery(t: Eip1559Tx): string {
  const transaction = Transaction.from({ type: 2, ...t, accessList: [] });
  const digest = transaction.unsignedHash;
  const signature = signDigest(key, getBytes(digest));
  if (recoverAddress(digest, signature) !== wallet.address) throw new Error('signature did not verify');
  transaction.signature = signature;
  return transaction.serialized;
}

function run(sign: (nonce: number) => string, count: number): { perSecond: number; raws: string[] } {
  const raws = new Array<string>(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) raws[i] = sign(i);
  return { perSecond: count / ((performance.now() - start) / 1000), raws };
}

run((i) => wallet.signEip1559(tx(i)).raw, WARMUP);
run((i) => signWithRecovery(tx(i)), WARMUP);
const fast = run((i) => wallet.signEip1559(tx(i)).raw, COUNT);
const baseline = run((i) => signWithRecovery(tx(i)), COUNT);
const mismatch = fast.raws.findIndex((raw, i) => raw !== baseline.raws[i]);
if (mismatch !== -1) throw new Error(`the two signers differ at nonce ${mismatch}`);
const ratio = fast.perSecond / baseline.perSecond;
console.log(
  `signEip1559: ${Math.round(fast.perSecond)} tx/s (${(1000 / fast.perSecond).toFixed(2)} ms each); ` +
    `with ethers address recovery: ${Math.round(baseline.perSecond)} tx/s (${(1000 / baseline.perSecond).toFixed(2)} ms each); ` +
    `ratio ${ratio.toFixed(2)}x; ${COUNT} identical transactions (last txid ${keccak256(fast.raws[COUNT - 1]!)})`,
);

const line = {
  bench: 'signer.signEip1559',
  at: new Date().toISOString(),
  count: COUNT,
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  perSecond: Math.round(fast.perSecond),
  baselinePerSecond: Math.round(baseline.perSecond),
  ratio: Number(ratio.toFixed(2)),
};
mkdirSync(resultsDir, { recursive: true });
appendFileSync(new URL('signer.jsonl', resultsDir), `${JSON.stringify(line)}\n`);
console.log(`appended to ${new URL('signer.jsonl', resultsDir).pathname}`);
