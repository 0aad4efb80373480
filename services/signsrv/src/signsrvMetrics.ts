import type { Db } from '@wallet/db';
import { type Metrics, metricCatalog } from '@wallet/metrics';
import { signingStats } from '@wallet/payout';

/**
 * signsrv's gauges, read from MySQL on scrape (bounded, indexed; see signingStats): the signing queue (awaiting review,
 * awaiting signing), the kill switch, halted assets, and the operators' open alarms of both alarm tables.
 */
export function signsrvMetrics(metrics: Metrics, db: Db): void {
  const queue = metrics.gauge(metricCatalog.signingQueue);
  const paused = metrics.gauge(metricCatalog.signingPaused);
  const halted = metrics.gauge(metricCatalog.signingHalted);
  const alarms = metrics.gauge(metricCatalog.alarmsOpen);
  metrics.collectOnScrape({
    name: 'signing',
    gauges: [queue, paused, halted, alarms],
    timeoutMs: 1000,
    collect: async () => {
      const s = await signingStats(db, 900);
      return [
        { gauge: queue, labels: { stage: 'review' }, value: s.awaitingReview },
        { gauge: queue, labels: { stage: 'signing' }, value: s.awaitingSigning },
        { gauge: paused, value: s.paused ? 1 : 0 },
        ...s.haltedAssets.map((asset) => ({ gauge: halted, labels: { asset }, value: 1 })),
        ...s.openAlarms.map((a) => ({ gauge: alarms, labels: { source: a.source, kind: a.kind }, value: a.count })),
      ];
    },
  });
}
