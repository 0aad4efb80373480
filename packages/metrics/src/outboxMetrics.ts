import type { Metrics } from './Metrics.js';
import { metricCatalog } from './metricCatalog.js';

/** An outbox relay as its metrics see it (packages/jobs OutboxRelay's `stats()`). */
export type OutboxStatsSource = { stats(): { readonly name: string; readonly due: number; readonly failures: number } };

/**
 * Reports each relay's backlog (rows due at its last pass) and consecutive failed passes, read from the relays
 * themselves on scrape: no query of their own.
 */
export function outboxMetrics(metrics: Metrics, relays: readonly OutboxStatsSource[]): void {
  const due = metrics.gauge(metricCatalog.outboxDue);
  const failing = metrics.gauge(metricCatalog.outboxFailingPasses);
  metrics.collectOnScrape({
    name: 'outbox',
    gauges: [due, failing],
    collect: async () =>
      relays.flatMap((r) => {
        const s = r.stats();
        return [
          { gauge: due, labels: { relay: s.name }, value: s.due },
          { gauge: failing, labels: { relay: s.name }, value: s.failures },
        ];
      }),
  });
}
