import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCampaign } from './campaign.js';

/**
 * `pnpm chaos [--seed S] [--minutes M]`: one randomized fault campaign (issue 19). Prints the seed, the schedule, the
 * progress and each invariant's verdict; writes the report to .stack/chaos/<seed>.json; exits 1 when an invariant broke.
 */
const { values } = parseArgs({
  options: { seed: { type: 'string' }, minutes: { type: 'string', default: '3' } },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const minutes = Number(values.minutes);
if (!Number.isInteger(seed) || seed < 0 || !(minutes > 0)) {
  process.stderr.write('usage: pnpm chaos [--seed N] [--minutes M]\n');
  process.exit(2);
}
const reportFile = join(process.cwd(), '.stack', 'chaos', `${seed}.json`);
const report = await runCampaign({ seed, minutes, onLine: (l) => process.stdout.write(`${l}\n`), reportFile });
process.stdout.write(
  `\nseed ${report.seed}, ${report.minutes} min, ${report.injected.filter((i) => i.result === 'done').length} faults injected, ${report.seconds} s in all\n`,
);
process.stdout.write(`operations: ${JSON.stringify(report.operations)}\n`);
for (const c of report.checks) {
  process.stdout.write(`${c.violations.length === 0 ? 'PASS' : 'FAIL'}  ${c.name} (${c.checked} checked)\n`);
  for (const v of c.violations) process.stdout.write(`      ${v}\n`);
}
process.stdout.write(
  report.ok
    ? `\nall invariants held (report: ${reportFile})\n`
    : `\nFIRST BROKEN: ${report.firstViolation}\nreproduce: pnpm chaos --seed ${report.seed} --minutes ${report.minutes}\n`,
);
process.exit(report.ok ? 0 : 1);
