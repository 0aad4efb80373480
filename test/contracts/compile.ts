/**
 * Compiles every `src/*.sol` with the pinned solc-js (the compiler as wasm, from npm: nothing is downloaded)
 * and writes `artifacts/<Name>.json`. The artifacts are committed, so tests need no compiler at run time.
 *
 *   pnpm contracts:compile            write the artifacts
 *   pnpm contracts:compile --check    write nothing; exit 1 if the committed artifacts are not what this compiles to
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { type JsonFragment } from 'ethers';
import solc from 'solc';
import { type Artifact, artifactsDir, CONTRACT_NAMES, sha256Hex, sourcesDir } from './loadArtifact.js';

// solc's default target follows the newest hardfork and so moves with every compiler release; a fixed target keeps
// the artifacts byte-identical. Paris (the Merge) is the newest target without PUSH0 (Shanghai) or MCOPY/TSTORE
// (Cancun), none of which these contracts need, so the bytecode runs on anvil whatever --hardfork it is started
// with from paris on, including its default (latest: Osaka + BPO1 in anvil 1.7).
const EVM_VERSION = 'paris';

/** The parts of solc-js's untyped API used here. */
interface SolcCompiler {
  version(): string;
  compile(standardJsonInput: string): string;
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: JsonFragment[]; evm: { bytecode: { object: string } } }>>;
}

const compiler: SolcCompiler = solc;
const check = process.argv.includes('--check');

const files = readdirSync(sourcesDir)
  .filter((f) => f.endsWith('.sol'))
  .sort();
const unlisted = files.map((f) => basename(f, '.sol')).filter((n) => !(CONTRACT_NAMES as readonly string[]).includes(n));
if (unlisted.length > 0) exit(`add ${unlisted.join(', ')} to CONTRACT_NAMES in test/contracts/loadArtifact.ts`);

const sources = new Map(files.map((f) => [`src/${f}`, readFileSync(`${sourcesDir}${f}`, 'utf8')]));
const input = {
  language: 'Solidity',
  sources: Object.fromEntries([...sources].map(([unit, content]) => [unit, { content }])),
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: EVM_VERSION,
    // Without the CBOR metadata trailer the bytecode depends on the code alone, not on comments and file names.
    metadata: { appendCBOR: false },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(compiler.compile(JSON.stringify(input))) as SolcOutput;

// Warnings fail the build too: these fixtures are small enough to be kept warning-free.
const problems = (output.errors ?? []).filter((e) => e.severity !== 'info');
if (problems.length > 0) exit(problems.map((e) => e.formattedMessage).join('\n'));

const expected = new Map<string, string>();
for (const [unit, content] of sources) {
  const contractName = basename(unit, '.sol');
  // A file may declare interfaces beside its contract; only the contract named after the file becomes an artifact.
  const compiled = output.contracts?.[unit]?.[contractName];
  if (compiled === undefined) exit(`${unit} must define a contract named ${contractName}`);
  const artifact: Artifact = {
    contractName,
    abi: sortKeys(compiled.abi) as JsonFragment[],
    bytecode: `0x${compiled.evm.bytecode.object}`,
    solcVersion: compiler.version(),
    sourceSha256: sha256Hex(content),
  };
  expected.set(`${contractName}.json`, `${JSON.stringify(artifact, null, 2)}\n`);
}

const present = existsSync(artifactsDir) ? readdirSync(artifactsDir).filter((f) => f.endsWith('.json')) : [];
if (check) {
  const differ = [...expected].filter(([file, text]) => !present.includes(file) || readFileSync(`${artifactsDir}${file}`, 'utf8') !== text);
  const orphans = present.filter((f) => !expected.has(f));
  if (differ.length + orphans.length > 0) {
    exit(`artifacts out of date: ${[...differ.map(([f]) => f), ...orphans].join(', ')}; run pnpm contracts:compile and commit them`);
  }
  console.log(`${expected.size} artifacts match their sources (solc ${compiler.version()}, evmVersion ${EVM_VERSION})`);
} else {
  mkdirSync(artifactsDir, { recursive: true });
  for (const [file, text] of expected) writeFileSync(`${artifactsDir}${file}`, text);
  // An artifact whose source was deleted would otherwise keep deploying a contract that no longer exists.
  for (const orphan of present.filter((f) => !expected.has(f))) rmSync(`${artifactsDir}${orphan}`);
  console.log(`compiled ${[...expected.keys()].join(', ')} (solc ${compiler.version()}, evmVersion ${EVM_VERSION})`);
}

/** Object keys in code-point order, recursively, so the JSON text cannot depend on how solc orders them. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}

function exit(message: string): never {
  console.error(`contracts:compile: ${message}`);
  process.exit(1);
}
