// `pnpm bench:walletctl`: how long an operator waits for walletctl, per command, against a bare `node -e 0` and the
// same code run from its sources through tsx (as `pnpm walletctl` ran before issue 18), measured in the same run. Reads the dev
// database (bash deploy/local/bootstrap.sh), so the commands do real MySQL work; prints and appends to bench/results.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/repoRoot.js';
import { gitCommit } from './benchKit.js';

const runs = Number(process.env['BENCH_RUNS'] ?? '9');
const env = {
  ...process.env,
  MYSQL_URL: process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/wallet',
  WALLET_CHAIN_RPC:
    process.env['WALLET_CHAIN_RPC'] ?? JSON.stringify({ eth: 'http://127.0.0.1:8545', ltc: 'http://wallet:wallet@127.0.0.1:19443' }),
};
const built = join(repoRoot, 'packages', 'walletctl', 'dist', 'main.js');
const source = ['--conditions=wallet-source', '--import', 'tsx', join(repoRoot, 'packages', 'walletctl', 'src', 'main.ts')];

/** Median wall time of `args` under node, in ms (a non-zero exit counts: `scanners` exits 1 when a chain lags). */
function median(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    try {
      execFileSync(process.execPath, args, { env, stdio: 'ignore', cwd: repoRoot });
    } catch {
      // the time is what matters here
    }
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]!);
}

const bare = median(['-e', '0']);
process.stderr.write(`[bench] bare node: ${bare} ms (median of ${runs})\n`);
const rows = ['--help', 'hot-wallets', 'deposits', 'scanners', 'ledger check'].map((command) => {
  const args = command.split(' ');
  const ms = median([built, ...args]);
  const old = median([...source, ...args]);
  process.stderr.write(`[bench] walletctl ${command}: ${ms} ms built (${old} ms from sources through tsx)\n`);
  return { command, ms, fromSourcesMs: old, bareNodeMs: bare };
});
const result = { bench: 'walletctl', commit: gitCommit(), date: new Date().toISOString(), runs, rows };
console.log(JSON.stringify(result));
for (const r of rows)
  console.log(
    `walletctl ${r.command.padEnd(13)} ${String(r.ms).padStart(5)} ms   (goal: well under 1 s; from sources ${r.fromSourcesMs} ms; bare node ${bare} ms)`,
  );
mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
appendFileSync(join(repoRoot, 'bench', 'results', 'walletctl.jsonl'), `${JSON.stringify(result)}\n`);
