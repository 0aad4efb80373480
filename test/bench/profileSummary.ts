// `tsx test/bench/profileSummary.ts FILE.cpuprofile [TOP]`: where a V8 CPU profile (node --cpu-prof, or a service
// run with WALLET_CPU_PROF_DIR) spent its time: self time per package (node_modules/<package>, the repository's own
// packages, node's internals, garbage collection, idle) and the functions with the most self time, with their
// callers' packages. What the benchmarks' profiles are read with, so findings come with their numbers.
import { readFileSync } from 'node:fs';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/** The package a script belongs to: `pkg` under node_modules, `@wallet/<dir>` for ours, else node's or V8's own. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program)';
    return '(native)';
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const own = /\/(packages|services|test)\/([^/]+)\//.exec(url);
  return own ? `${own[1] === 'packages' ? '@wallet/' : ''}${own[2]}` : url;
}

/** Node's and V8's own frames, which do work on behalf of the first library frame above them. */
const runtime = (pkg: string) => pkg.startsWith('node:') || pkg.startsWith('(');

/**
 * Self time (ms) per package and per function of a profile; and per *caller* package: each sample's time given to
 * the nearest frame on its stack that is not node's or V8's (a socket write is charged to mysql2 or grpc-js, which
 * made it), `(runtime)` when there is none (event loop, timers, garbage collection).
 */
export function summarize(profile: Profile): {
  totalMs: number;
  byPackage: [string, number][];
  byCaller: [string, number][];
  byFunction: [string, number][];
} {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const callerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { url, functionName } = nodes.get(at)!.callFrame;
      const pkg = packageOf(url, functionName);
      if (!runtime(pkg) && pkg !== '(root)') return pkg;
    }
    return '(runtime)';
  };
  const byCaller = new Map<string, number>();
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    totalMs += ms;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    const fn = `${functionName || '(anonymous)'} ${pkg}${url === '' ? '' : `:${lineNumber + 1}`}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    if (functionName !== '(idle)') {
      const caller = callerOf(node.id);
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs, byPackage: sorted(byPackage), byCaller: sorted(byCaller), byFunction: sorted(byFunction) };
}

if (process.argv[1]?.endsWith('profileSummary.ts') || process.argv[1]?.endsWith('profileSummary.js')) {
  const [file, top = '25'] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: profileSummary FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  const { totalMs, byPackage, byCaller, byFunction } = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = totalMs - (byPackage.find(([p]) => p === '(idle)')?.[1] ?? 0);
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%`;
  process.stdout.write(
    `${file}: ${(totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (shares below are of busy)\n`,
  );
  process.stdout.write('self time by package:\n');
  for (const [pkg, ms] of byPackage.filter(([p]) => p !== '(idle)').slice(0, Number(top)))
    process.stdout.write(`  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${pkg}\n`);
  process.stdout.write("time by caller (node's and V8's work charged to the library frame that asked for it):\n");
  for (const [pkg, ms] of byCaller.slice(0, Number(top))) process.stdout.write(`  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${pkg}\n`);
  process.stdout.write('self time by function:\n');
  for (const [fn, ms] of byFunction.filter(([f]) => !f.startsWith('(idle)')).slice(0, Number(top)))
    process.stdout.write(`  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${fn}\n`);
}
