import { describe, expect, it } from 'vitest';
import { runCampaign } from '../chaos/campaign.js';

/**
 * The fault campaign's short form (issue 19; docs/reliability.md): fixed seeds, a minute of faults each, every
 * invariant checked. The long form is `pnpm chaos --minutes 60` with random seeds.
 */
describe('the randomized fault campaign, short form', () => {
  for (const seed of [2, 3]) {
    it(
      `seed ${seed}: every invariant holds under a minute of faults`,
      async () => {
        const lines: string[] = [];
        const report = await runCampaign({ seed, minutes: 1, onLine: (l) => lines.push(l) });
        const broken = report.checks.filter((c) => c.violations.length > 0).map((c) => `${c.name}: ${c.violations.join(' | ')}`);
        // On a failure, the seed's schedule and the run's progress (the assertion message) say what happened.
        expect(broken, `seed ${seed}\n${lines.join('\n')}`).toEqual([]);
        // Not vacuous: faults were injected and the workload did real work through them.
        expect(report.injected.filter((i) => i.result === 'done').length).toBeGreaterThanOrEqual(5);
        expect(report.checks.find((c) => c.name.startsWith('idempotency'))!.checked).toBeGreaterThan(100);
        expect(report.checks.find((c) => c.name.startsWith('deposits'))!.checked).toBeGreaterThan(20);
        expect(report.checks.find((c) => c.name.startsWith('withdrawals'))!.checked).toBeGreaterThan(10);
        // The Litecoin side too: deposits (with the warm-up's one per account) and withdrawals, and the books read.
        expect(report.checks.find((c) => c.name.startsWith('ltc deposits'))!.checked).toBeGreaterThan(20);
        expect(report.checks.find((c) => c.name.startsWith('ltc withdrawals'))!.checked).toBeGreaterThan(10);
        expect(report.operations['withdrawal LTC accepted']).toBeGreaterThan(10);
        expect(report.checks.find((c) => c.name.startsWith('ltc books'))!.checked).toBeGreaterThan(1);
      },
      15 * 60_000,
    );
  }
});
