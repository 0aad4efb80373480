/** One metric the services export: its Prometheus name, type, help text and label names. */
export type MetricDef = {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Which services export it (docs/metrics.md, and the monitoring files' check). */
  readonly services: readonly ('gatesrv' | 'accountsrv' | 'transrv' | 'signsrv')[];
};

const all = ['gatesrv', 'accountsrv', 'transrv', 'signsrv'] as const;
const grpcLabels = ['grpc_service', 'grpc_method', 'grpc_code'] as const;

/**
 * Every metric of the cluster, declared once: services create theirs from these entries, docs/metrics.md documents
 * them, and a test checks that the dashboard and alert rules name only these. Every series also carries the registry's
 * default labels `service` and `instance`.
 */
export const metricCatalog = {
  httpRequests: {
    name: 'wallet_http_requests_total',
    type: 'counter',
    help: 'HTTP requests answered, by route pattern (never the raw URL), method and status code',
    labelNames: ['route', 'method', 'status_code'],
    services: ['gatesrv', 'signsrv'],
  },
  httpDuration: {
    name: 'wallet_http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request latency (receipt to response sent), by route pattern, method and status code',
    labelNames: ['route', 'method', 'status_code'],
    services: ['gatesrv', 'signsrv'],
  },
  grpcServerHandled: {
    name: 'wallet_grpc_server_handled_total',
    type: 'counter',
    help: 'gRPC calls served, by service, method and status code',
    labelNames: grpcLabels,
    services: ['accountsrv', 'transrv', 'signsrv'],
  },
  grpcServerSeconds: {
    name: 'wallet_grpc_server_handling_seconds',
    type: 'histogram',
    help: 'gRPC call latency as served (handler start to answer), by service, method and status code',
    labelNames: grpcLabels,
    services: ['accountsrv', 'transrv', 'signsrv'],
  },
  grpcClientHandled: {
    name: 'wallet_grpc_client_handled_total',
    type: 'counter',
    help: 'gRPC calls made to other services, by service, method and status code (after retries)',
    labelNames: grpcLabels,
    services: ['gatesrv', 'accountsrv', 'transrv'],
  },
  grpcClientSeconds: {
    name: 'wallet_grpc_client_handling_seconds',
    type: 'histogram',
    help: 'gRPC call latency as seen by the caller, retries included, by service, method and status code',
    labelNames: grpcLabels,
    services: ['gatesrv', 'accountsrv', 'transrv'],
  },
  streamPending: {
    name: 'wallet_stream_pending_entries',
    type: 'gauge',
    help: 'Entries of a Redis stream read by the consumer group but not acknowledged yet (XINFO GROUPS pending)',
    labelNames: ['stream', 'group'],
    services: ['transrv', 'signsrv'],
  },
  streamLag: {
    name: 'wallet_stream_lag_entries',
    type: 'gauge',
    help: 'Entries of a Redis stream not yet delivered to the consumer group (XINFO GROUPS lag)',
    labelNames: ['stream', 'group'],
    services: ['transrv', 'signsrv'],
  },
  outboxDue: {
    name: 'wallet_outbox_due_rows',
    type: 'gauge',
    help: "Rows an outbox relay found due at its last pass (at most the relay's batch, 500): its backlog",
    labelNames: ['relay'],
    services: ['transrv', 'signsrv'],
  },
  outboxFailingPasses: {
    name: 'wallet_outbox_failing_passes',
    type: 'gauge',
    help: 'Consecutive failed passes of an outbox relay (0 when its last pass succeeded)',
    labelNames: ['relay'],
    services: ['transrv', 'signsrv'],
  },
  withdrawalsInStatus: {
    name: 'wallet_withdrawals_in_status',
    type: 'gauge',
    help: "This node's withdrawals in each non-final status (counted up to 10,000 per status)",
    labelNames: ['status'],
    services: ['transrv'],
  },
  withdrawalOldestInStatus: {
    name: 'wallet_withdrawal_oldest_in_status_seconds',
    type: 'gauge',
    help: "Time the longest-waiting of this node's withdrawals in each non-final status has spent in it (0 when none)",
    labelNames: ['status'],
    services: ['transrv'],
  },
  signingQueue: {
    name: 'wallet_signing_queue',
    type: 'gauge',
    help: 'Withdrawals waiting for signsrv: stage review (pending_review) or signing (approved, not signed yet); counted up to 10,000',
    labelNames: ['stage'],
    services: ['signsrv'],
  },
  signingPaused: {
    name: 'wallet_signing_paused',
    type: 'gauge',
    help: '1 while the kill switch pauses all signing',
    labelNames: [],
    services: ['signsrv'],
  },
  signingHalted: {
    name: 'wallet_signing_halted',
    type: 'gauge',
    help: '1 for an asset whose signing the reconciliation tripwire (or an operator) halted',
    labelNames: ['asset'],
    services: ['signsrv'],
  },
  alarmsOpen: {
    name: 'wallet_alarms_open',
    type: 'gauge',
    help: 'Operator alarms not acknowledged yet, by source table (node: node_alerts, sign: sign_alerts) and kind; over the newest 10,000 of each table',
    labelNames: ['source', 'kind'],
    services: ['signsrv'],
  },
  scannerLeader: {
    name: 'wallet_scanner_leader',
    type: 'gauge',
    help: '1 when this process is the active scanner of the chain',
    labelNames: ['chain'],
    services: ['transrv'],
  },
  scannerCheckpoint: {
    name: 'wallet_scanner_checkpoint',
    type: 'gauge',
    help: 'Last scanned block height (active scanner only)',
    labelNames: ['chain'],
    services: ['transrv'],
  },
  scannerHead: {
    name: 'wallet_scanner_head',
    type: 'gauge',
    help: 'Node head height (active scanner only)',
    labelNames: ['chain'],
    services: ['transrv'],
  },
  scannerLag: {
    name: 'wallet_scanner_lag_blocks',
    type: 'gauge',
    help: 'Node head minus scanned height (active scanner only)',
    labelNames: ['chain'],
    services: ['transrv'],
  },
  scannerStalled: {
    name: 'wallet_scanner_stalled',
    type: 'gauge',
    help: '1 when the node advances but the scanner does not (active scanner only)',
    labelNames: ['chain'],
    services: ['transrv'],
  },
  collectErrors: {
    name: 'wallet_metrics_collect_errors_total',
    type: 'counter',
    help: 'Collections on scrape that failed or timed out (their metrics kept their last values)',
    labelNames: ['collector'],
    services: all,
  },
} as const satisfies Record<string, MetricDef>;

export type MetricCatalog = typeof metricCatalog;

/** The names of every metric in {@link metricCatalog}, and of the histograms' `_bucket`, `_sum` and `_count` series. */
export function catalogSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const def of Object.values(metricCatalog) as MetricDef[]) {
    names.add(def.name);
    if (def.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(def.name + suffix);
  }
  return names;
}
