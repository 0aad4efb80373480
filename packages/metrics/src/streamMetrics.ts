import type { Metrics } from './Metrics.js';
import { metricCatalog } from './metricCatalog.js';

/** A consumer group whose backlog is reported. */
export type StreamGroupSource = {
  /** The stream's logical name (`blockout_req`), not its namespaced key: the label stays the same in every environment. */
  readonly stream: string;
  readonly group: string;
  /** Its pending entries and lag (packages/jobs streamGroupStats); undefined while the group does not exist. */
  readonly stats: () => Promise<{ readonly pending: number; readonly lag: number | null } | undefined>;
};

/**
 * Reports each consumer group's pending entries (read, not acknowledged) and lag (not yet read), asked of Redis on
 * scrape (XINFO GROUPS: one round trip per group).
 * @param timeoutMs how long a scrape waits for Redis @default 1000
 */
export function streamMetrics(metrics: Metrics, groups: readonly StreamGroupSource[], timeoutMs = 1000): void {
  const pending = metrics.gauge(metricCatalog.streamPending);
  const lag = metrics.gauge(metricCatalog.streamLag);
  metrics.collectOnScrape({
    name: 'streams',
    gauges: [pending, lag],
    timeoutMs,
    collect: async () => {
      const all = await Promise.all(groups.map(async (g) => ({ g, s: await g.stats() })));
      return all.flatMap(({ g, s }) => {
        const labels = { stream: g.stream, group: g.group };
        if (s === undefined) return [];
        return [{ gauge: pending, labels, value: s.pending }, ...(s.lag === null ? [] : [{ gauge: lag, labels, value: s.lag }])];
      });
    },
  });
}
