// Benchmark (not a test): addresses per second of deriveAddress, whose cache makes an address one BIP32 child
// derivation, against a baseline that parses the account key and derives `0/index` from it for every address.
// Prints the figures and appends one JSON line to bench/results/keys.jsonl at the repository root.
//
//   node --conditions=wallet-source --import tsx packages/keys/bench/deriveAddress.bench.ts
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type Chain, type Network, accountXpubFromMnemonic, deriveAddress } from '../src/index.js';
import { parseAccountXpub } from '../src/parseAccountXpub.js';
import { encodeAddress } from '../src/publicKeyToAddress.js';

const COUNT = 20_000;
const WARMUP = 500;
const network: Network = 'mainnet';
const mnemonic = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const resultsDir = new URL('../../../bench/results/', import.meta.url);

/** The baseline: what deriveAddress does (same checks, same encoding), but from the serialized key every time. */
function deriveUncached(chain: Chain, xpub: string, index: number): string {
  const key = parseAccountXpub({ chain, network, xpub }).derive(`m/0/${index}`).publicKey;
  if (key === null) throw new Error('no public key');
  return encodeAddress(chain, network, key);
}

function run(derive: (index: number) => string, count: number): { perSecond: number; addresses: string[] } {
  const addresses: string[] = new Array<string>(count);
  const start = performance.now();
  for (let index = 0; index < count; index++) addresses[index] = derive(index);
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: count / seconds, addresses };
}

const results: Record<string, { cachedPerSecond: number; uncachedPerSecond: number; ratio: number }> = {};
for (const chain of ['eth', 'btc', 'ltc'] as const) {
  const xpub = accountXpubFromMnemonic({ chain, network, mnemonic });
  run((index) => deriveAddress({ chain, network, xpub, index }), WARMUP);
  run((index) => deriveUncached(chain, xpub, index), WARMUP);

  const cached = run((index) => deriveAddress({ chain, network, xpub, index }), COUNT);
  const uncached = run((index) => deriveUncached(chain, xpub, index), COUNT);
  // Only a guard that both sides computed the same thing; correctness is the tests' job.
  const mismatch = cached.addresses.findIndex((address, index) => address !== uncached.addresses[index]);
  if (mismatch !== -1) throw new Error(`${chain}: cached and uncached derivations differ at index ${mismatch}`);

  const ratio = cached.perSecond / uncached.perSecond;
  results[chain] = {
    cachedPerSecond: Math.round(cached.perSecond),
    uncachedPerSecond: Math.round(uncached.perSecond),
    ratio: Number(ratio.toFixed(2)),
  };
  console.log(
    `${chain}: cached ${Math.round(cached.perSecond)} addresses/s, uncached ${Math.round(uncached.perSecond)} addresses/s, ratio ${ratio.toFixed(2)}x`,
  );
}

const line = {
  bench: 'keys.deriveAddress',
  at: new Date().toISOString(),
  count: COUNT,
  network,
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  results,
};
mkdirSync(resultsDir, { recursive: true });
appendFileSync(new URL('keys.jsonl', resultsDir), `${JSON.stringify(line)}\n`);
console.log(`appended to ${new URL('keys.jsonl', resultsDir).pathname}`);
