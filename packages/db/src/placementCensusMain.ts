// `pnpm -s exec tsx --conditions=wallet-source packages/db/src/placementCensusMain.ts <dir> [service]`: reads the
// trace files that services wrote with WALLET_DB_TRACE_DIR=<dir> (placementTrace.ts) and prints each kind of
// transaction, and each lone statement, that names global and shard tables together (docs/sharding.md), then each
// one that names tables of one placement but ran on a transrv node's pool of the other.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Crossing, type Misplaced, type TracedStatement, crossingsOf, misplacedOf } from './placementTrace.js';

const [dir, only] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: placementCensusMain.ts <trace dir> [service]');
const merged = new Map<string, Crossing>();
const misplaced = new Map<string, Misplaced>();
for (const name of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
  const service = name.replace(/-\d+\.jsonl$/, '');
  if (only !== undefined && service !== only) continue;
  const statements = readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TracedStatement);
  for (const c of crossingsOf(service, statements)) {
    const key = `${c.service}\n${c.kind}\n${c.statements.join('\n')}`;
    merged.set(key, { ...c, seen: (merged.get(key)?.seen ?? 0) + c.seen });
  }
  for (const m of misplacedOf(service, statements)) {
    const key = `${m.service}\n${m.kind}\n${m.statements.join('\n')}`;
    misplaced.set(key, { ...m, seen: (misplaced.get(key)?.seen ?? 0) + m.seen });
  }
}
const sorted = [...merged.values()].sort((a, b) => a.service.localeCompare(b.service) || b.seen - a.seen);
for (const c of sorted) {
  process.stdout.write(
    `\n## ${c.service} ${c.kind} x${c.seen}: global ${c.global.join(', ')} | shard ${c.shard.join(', ')}\n${c.statements.map((s) => `  ${s}`).join('\n')}\n`,
  );
}
process.stdout.write(`\n${sorted.length} kinds of crossing\n`);
const wrongPool = [...misplaced.values()].sort((a, b) => a.service.localeCompare(b.service) || b.seen - a.seen);
for (const m of wrongPool) {
  process.stdout.write(
    `\n## ${m.service} ${m.kind} x${m.seen}: ${m.placement} tables on the ${m.pool} pool\n${m.statements.map((s) => `  ${s}`).join('\n')}\n`,
  );
}
process.stdout.write(`${wrongPool.length} kinds of statement on the wrong pool\n`);
