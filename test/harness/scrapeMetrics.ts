import type { ServiceProcess } from '@wallet/launcher';

/** One sample of a Prometheus text exposition. */
export type MetricSample = { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number };

/** A parsed scrape: the metric families declared (`# TYPE`) and every sample. */
export type Scrape = {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly MetricSample[];
  /** The samples of `name` whose labels include `labels`. */
  find(name: string, labels?: Record<string, string>): MetricSample[];
  /** The sum of those samples' values (0 when none). */
  sum(name: string, labels?: Record<string, string>): number;
};

/** Parses the Prometheus text format as prom-client writes it (no escaped quotes in our label values). */
export function parseMetrics(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map((p) => [p[1]!, p[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return { types, samples, find, sum: (name, labels) => find(name, labels).reduce((a, s) => a + s.value, 0) };
}

/** The URL of a service process's /metrics, from its `metrics ready` line (waited for). */
export async function metricsUrlOf(p: ServiceProcess): Promise<string> {
  const line = await p.waitForLog((l) => l.msg === 'metrics ready' && typeof l['url'] === 'string', 30_000);
  return String(line['url']);
}

/** Scrapes a service process's /metrics. */
export async function scrape(p: ServiceProcess): Promise<Scrape> {
  const res = await fetch(await metricsUrlOf(p));
  if (res.status !== 200) throw new Error(`scrape of ${p.label}: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}
