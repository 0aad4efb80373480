export { type GrpcCall, grpcClientObserver, grpcServerObserver } from './grpcMetrics.js';
export { httpMetrics } from './httpMetrics.js';
export { type MetricDef, type MetricCatalog, catalogSeriesNames, metricCatalog } from './metricCatalog.js';
export { type GaugeSample, Metrics, type MetricsOptions, type ScrapeCollector, latencyBuckets } from './Metrics.js';
export { type OutboxStatsSource, outboxMetrics } from './outboxMetrics.js';
export { type MetricsServer, startMetricsServer } from './startMetricsServer.js';
export { type StreamGroupSource, streamMetrics } from './streamMetrics.js';
