/** Throughput and latency percentiles of a closed-loop run (sorts `latencies` in place). */
export function latencySummary(
  latencies: number[],
  seconds: number,
): { requests: number; seconds: number; rps: number; p50Ms: number; p99Ms: number } {
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { requests: latencies.length, seconds, rps: latencies.length / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}
