import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type MetricDef, metricCatalog } from './metricCatalog.js';

type LabelsOf<D extends MetricDef> = D['labelNames'][number];

/** One value of a gauge set by a {@link ScrapeCollector}. */
export type GaugeSample = { readonly gauge: Gauge<string>; readonly labels?: Record<string, string>; readonly value: number };

/** Gauges refreshed on each scrape by one query (of MySQL, Redis...). */
export type ScrapeCollector = {
  /** Names the collector in `wallet_metrics_collect_errors_total{collector}` and in logs. */
  readonly name: string;
  /** The gauges it sets: each is cleared and refilled from a successful collection, so vanished series disappear. */
  readonly gauges: readonly Gauge<string>[];
  /** The values now. Should be cheap (indexed, bounded): it runs on every scrape. */
  readonly collect: () => Promise<readonly GaugeSample[]>;
  /** How long a scrape waits for it; then its gauges keep their last values. @default 1000 */
  readonly timeoutMs?: number;
};

export type MetricsOptions = {
  /** Default label `service` of every series. */
  readonly service: string;
  /** Default label `instance` of every series (the instance id, a transrv node id). */
  readonly instance: string;
  /** Node.js process metrics (CPU, memory, event loop lag, GC) under their usual names. @default true */
  readonly processMetrics?: boolean;
};

/** Latency buckets (seconds) of the HTTP and gRPC histograms: 2.5 ms to 10 s. */
export const latencyBuckets = [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A process's metrics: one prom-client registry whose series all carry `service` and `instance`, the metrics of
 * {@link metricCatalog} created on first use (so the HTTP plugin, the gRPC observers and the domain collectors of one
 * process share them), and the collectors run on scrape. Readiness (`/readyz`) is set by the service.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Whether `/readyz` answers 200: set once the service serves, cleared when it stops. */
  ready = false;
  readonly #metrics = new Map<string, Counter<string> | Gauge<string> | Histogram<string>>();
  readonly #collectors: { readonly c: ScrapeCollector; running: Promise<void> | undefined }[] = [];
  readonly #collectErrors: Counter<'collector'>;
  readonly #onCollectError: (collector: string, error: unknown) => void;

  /**
   * @param onCollectError told of each failed or timed-out collection (the service logs it)
   */
  constructor(options: MetricsOptions, onCollectError: (collector: string, error: unknown) => void = () => {}) {
    this.registry.setDefaultLabels({ service: options.service, instance: options.instance });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#collectErrors = this.counter(metricCatalog.collectErrors);
    this.#onCollectError = onCollectError;
  }

  /** The counter of a catalogue entry (the same object on every call). */
  counter<D extends MetricDef & { type: 'counter' }>(def: D): Counter<LabelsOf<D>> {
    return this.#get(def, () => new Counter({ name: def.name, help: def.help, labelNames: def.labelNames, registers: [this.registry] }));
  }

  /** The gauge of a catalogue entry (the same object on every call). */
  gauge<D extends MetricDef & { type: 'gauge' }>(def: D): Gauge<LabelsOf<D>> {
    return this.#get(def, () => new Gauge({ name: def.name, help: def.help, labelNames: def.labelNames, registers: [this.registry] }));
  }

  /** The histogram of a catalogue entry (the same object on every call), with {@link latencyBuckets}. */
  histogram<D extends MetricDef & { type: 'histogram' }>(def: D): Histogram<LabelsOf<D>> {
    return this.#get(
      def,
      () =>
        new Histogram({ name: def.name, help: def.help, labelNames: def.labelNames, buckets: latencyBuckets, registers: [this.registry] }),
    );
  }

  /**
   * Adds gauges refreshed on every scrape. A collection that fails or outlasts its timeout counts one
   * `wallet_metrics_collect_errors_total`, and its gauges keep their last values; one still running when the next
   * scrape comes is waited for again rather than started twice, so a slow database never gets a pile of queries.
   */
  collectOnScrape(collector: ScrapeCollector): this {
    this.#collectors.push({ c: collector, running: undefined });
    return this;
  }

  /** Runs the collectors (each within its timeout) and renders every series in the Prometheus text format. */
  async render(): Promise<{ readonly contentType: string; readonly body: string }> {
    await Promise.all(this.#collectors.map((entry) => this.#collect(entry)));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  async #collect(entry: { readonly c: ScrapeCollector; running: Promise<void> | undefined }): Promise<void> {
    const { c } = entry;
    entry.running ??= c
      .collect()
      .then((samples) => {
        for (const gauge of c.gauges) gauge.reset();
        for (const s of samples) {
          if (s.labels === undefined) s.gauge.set(s.value);
          else s.gauge.set(s.labels, s.value);
        }
      })
      .catch((error: unknown) => {
        this.#collectErrors.inc({ collector: c.name });
        this.#onCollectError(c.name, error);
      })
      .finally(() => {
        entry.running = undefined;
      });
    const running = entry.running;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), c.timeoutMs ?? 1000);
    });
    const outcome = await Promise.race([running.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#collectErrors.inc({ collector: c.name });
      this.#onCollectError(c.name, new Error(`collection ${c.name} timed out after ${c.timeoutMs ?? 1000} ms`));
    }
  }

  #get<M extends Counter<string> | Gauge<string> | Histogram<string>>(def: MetricDef, make: () => M): M {
    const existing = this.#metrics.get(def.name);
    if (existing) return existing as M;
    const made = make();
    this.#metrics.set(def.name, made);
    return made;
  }
}
