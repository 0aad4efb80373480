import type { Db } from '@wallet/db';
import { type Metrics, metricCatalog } from '@wallet/metrics';
import type { ScannerMetrics } from '@wallet/scanner';
import { withdrawalStageStats } from '@wallet/withdrawals';

/**
 * transrv's own gauges: the chain scanners' (the names of the metrics server it had before issue 18, kept), read from
 * the scanners in memory, and this node's withdrawals per non-final status with the oldest one's wait, read from
 * MySQL on scrape (bounded, indexed; see withdrawalStageStats).
 */
export function transrvMetrics(
  metrics: Metrics,
  o: { readonly db: Db; readonly nodeId: string; readonly scanners: () => ScannerMetrics[] },
): void {
  const leader = metrics.gauge(metricCatalog.scannerLeader);
  const checkpoint = metrics.gauge(metricCatalog.scannerCheckpoint);
  const head = metrics.gauge(metricCatalog.scannerHead);
  const lag = metrics.gauge(metricCatalog.scannerLag);
  const stalled = metrics.gauge(metricCatalog.scannerStalled);
  metrics.collectOnScrape({
    name: 'scanners',
    gauges: [leader, checkpoint, head, lag, stalled],
    collect: async () =>
      o.scanners().flatMap((m) => {
        const labels = { chain: m.chain };
        // A standby's heights are not its to report: only the active scanner's series exist.
        if (!m.leader) return [{ gauge: leader, labels, value: 0 }];
        return [
          { gauge: leader, labels, value: 1 },
          ...(m.checkpoint === null ? [] : [{ gauge: checkpoint, labels, value: m.checkpoint }]),
          ...(m.head === null ? [] : [{ gauge: head, labels, value: m.head }]),
          ...(m.lag === null ? [] : [{ gauge: lag, labels, value: m.lag }]),
          { gauge: stalled, labels, value: m.stalled ? 1 : 0 },
        ];
      }),
  });
  const inStatus = metrics.gauge(metricCatalog.withdrawalsInStatus);
  const oldest = metrics.gauge(metricCatalog.withdrawalOldestInStatus);
  metrics.collectOnScrape({
    name: 'withdrawals',
    gauges: [inStatus, oldest],
    timeoutMs: 1000,
    collect: async () =>
      (await withdrawalStageStats(o.db, o.nodeId, 900)).flatMap((s) => [
        { gauge: inStatus, labels: { status: s.status }, value: s.count },
        { gauge: oldest, labels: { status: s.status }, value: s.oldestSeconds },
      ]),
  });
}
