import type { Metrics } from './Metrics.js';
import { metricCatalog } from './metricCatalog.js';

/** What the gRPC server and clients of packages/rpc report of each call. */
export type GrpcCall = {
  /** The method's path, `/wallet.v1.TransService/Transfer`. */
  readonly path: string;
  /** The gRPC status code's name (`OK`, `NOT_FOUND`, `UNAVAILABLE`...). */
  readonly code: string;
  readonly seconds: number;
};

/**
 * Records served gRPC calls: counts and latency by service, method and status code. Pass the result as the
 * GrpcServer's `observe` option.
 */
export function grpcServerObserver(metrics: Metrics): (call: GrpcCall) => void {
  return observer(metrics.counter(metricCatalog.grpcServerHandled), metrics.histogram(metricCatalog.grpcServerSeconds));
}

/**
 * Records gRPC calls made (one per call, retries included in its latency): counts and latency by service, method and
 * status code. Pass the result as createClient's `observe` option.
 */
export function grpcClientObserver(metrics: Metrics): (call: GrpcCall) => void {
  return observer(metrics.counter(metricCatalog.grpcClientHandled), metrics.histogram(metricCatalog.grpcClientSeconds));
}

type Labels = 'grpc_service' | 'grpc_method' | 'grpc_code';

function observer(
  count: { inc(labels: Record<Labels, string>): void },
  latency: { observe(labels: Record<Labels, string>, value: number): void },
): (call: GrpcCall) => void {
  return ({ path, code, seconds }) => {
    // `/package.Service/Method`: generated definitions only, so the label values are bounded.
    const slash = path.lastIndexOf('/');
    const labels = { grpc_service: path.slice(1, slash), grpc_method: path.slice(slash + 1), grpc_code: code };
    count.inc(labels);
    latency.observe(labels, seconds);
  };
}
