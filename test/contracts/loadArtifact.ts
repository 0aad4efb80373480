import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type JsonFragment } from 'ethers';

/** The contracts in `src/`, one per file named after it. The contracts test checks this list against `src/`. */
export const CONTRACT_NAMES = [
  'TestToken',
  'SpoofEmitter',
  'FalseReturningToken',
  'EtherForwarder',
  'Reverter',
  'Gate',
  'TaxedToken',
] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** What `compile.ts` writes to `artifacts/<contractName>.json`, in this key order. */
export interface Artifact {
  contractName: string;
  abi: JsonFragment[];
  /** Creation bytecode, 0x-prefixed. */
  bytecode: `0x${string}`;
  /** The full solc-js version string, e.g. `0.8.37+commit.f401782d.Emscripten.clang`. */
  solcVersion: string;
  /** sha256 of `src/<contractName>.sol` as compiled: a stale artifact is detected without a compiler. */
  sourceSha256: string;
}

export const sourcesDir = fileURLToPath(new URL('./src/', import.meta.url));
export const artifactsDir = fileURLToPath(new URL('./artifacts/', import.meta.url));

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads a committed artifact and checks its shape, and that it was compiled from the source as it is now.
 * @param name - the contract, which is also its file name in `src/` and `artifacts/`
 * @returns the artifact, ready for an ethers `ContractFactory`
 */
export function loadArtifact(name: ContractName): Artifact {
  const file = `${artifactsDir}${name}.json`;
  const artifact = parseArtifact(JSON.parse(readFileSync(file, 'utf8')), file);
  if (artifact.contractName !== name) throw new Error(`${file}: contractName is ${artifact.contractName}, expected ${name}`);
  // A test run against an artifact older than its source would test code that is not in the repo.
  const source = `${sourcesDir}${name}.sol`;
  if (existsSync(source) && sha256Hex(readFileSync(source)) !== artifact.sourceSha256) {
    throw new Error(`${file} is stale: src/${name}.sol changed since it was compiled; run pnpm contracts:compile`);
  }
  return artifact;
}

function parseArtifact(json: unknown, file: string): Artifact {
  const fail = (what: string): never => {
    throw new Error(`${file}: not a contract artifact (${what}); run pnpm contracts:compile`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const { contractName, abi, bytecode, solcVersion, sourceSha256 } = json as Record<string, unknown>;
  if (typeof contractName !== 'string') return fail('contractName');
  if (!Array.isArray(abi) || !abi.every((f) => typeof f === 'object' && f !== null && typeof (f as JsonFragment).type === 'string')) {
    return fail('abi');
  }
  // An interface or abstract contract compiles to empty bytecode: it cannot be deployed, so it is no artifact.
  if (typeof bytecode !== 'string' || !/^0x(?:[0-9a-f]{2})+$/.test(bytecode)) return fail('bytecode');
  if (typeof solcVersion !== 'string') return fail('solcVersion');
  if (typeof sourceSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sourceSha256)) return fail('sourceSha256');
  return { contractName, abi: abi as JsonFragment[], bytecode: bytecode as `0x${string}`, solcVersion, sourceSha256 };
}
